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
