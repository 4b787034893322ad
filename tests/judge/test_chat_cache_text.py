"""The chat cache keeps an answer UTF-8 cannot hold (a lone surrogate) as sent, and leaves no temporary file."""

from __future__ import annotations

import httpx

from eagle_eval.judge.chat_client import ChatClient, ChatEndpoint
from eagle_eval.run.scoring import INVALID_TEXT_NOTE, Outcome

LONE = "\ud800"


def test_an_answer_with_a_lone_surrogate_is_cached_and_recorded_as_valid_text(tmp_path):
    body = '{"choices": [{"message": {"content": "yes\\ud800"}}]}'  # the escape, as a broken server sends it
    sent: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(1)
        return httpx.Response(200, text=body, headers={"Content-Type": "application/json"})

    endpoint = ChatEndpoint("http://127.0.0.1:9/v1", "served-vlm")
    payload = {"model": "served-vlm", "messages": [{"role": "user", "content": "Is it?"}]}
    for _ in range(2):  # the second call is answered from the cache
        client = ChatClient(endpoint, tmp_path / "cache", transport=httpx.MockTransport(answer))
        text = client.complete(payload)
        assert text == f"yes{LONE}"  # the paid answer, kept as sent
        client.close()
    assert len(sent) == 1
    assert [p.suffix for p in (tmp_path / "cache").rglob("*") if p.is_file()] == [".json"]  # no *.tmp left
    outcome = Outcome(prediction=text)
    assert outcome.prediction == "yes\ufffd" and outcome.notes == {INVALID_TEXT_NOTE: 1}


def test_through_the_openai_adapter_the_paid_answer_is_a_recorded_prediction_not_an_error(tmp_path):
    from PIL import Image

    from eagle_eval.core.records import GenerationSettings, Request
    from eagle_eval.model_adapters.openai_api.adapter import OpenAIChatAdapter, OpenAISettings
    from eagle_eval.run.batching import BatchGenerator, GenerationStats

    body = '{"choices": [{"message": {"content": "yes\\ud800"}}]}'
    client = ChatClient(ChatEndpoint("http://127.0.0.1:9/v1", "served-vlm"), tmp_path / "cache",
                        transport=httpx.MockTransport(lambda request: httpx.Response(200, text=body)))
    adapter = OpenAIChatAdapter("openai:served-vlm", client, OpenAISettings(max_concurrency=1))
    request = Request(task="pope", split="test", doc_id=0, text="Is there a cat?", images=[Image.new("RGB", (4, 4))],
                      generation=GenerationSettings(max_new_tokens=8))
    try:
        (outcome,) = BatchGenerator(adapter, 1, GenerationStats()).generate([request])
    finally:
        adapter.close()
    assert outcome.error is None and outcome.prediction == "yes\ufffd"
    assert outcome.notes == {INVALID_TEXT_NOTE: 1}
    assert not [p for p in (tmp_path / "cache").rglob("*.tmp")]
