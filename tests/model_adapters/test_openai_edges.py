"""The `openai:` adapter and its client against hostile answers from a real server process on 127.0.0.1.

tests/judge_server.py picks the behaviour from the request's model name (`openai:<behaviour>`): a 429
with `Retry-After`, an empty answer, an error body or answer that echoes the Authorization header, an
answer of megabytes to a 128-token request. Each case runs the bundled POPE samples through the real
command, or the client alone where only one call matters.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import httpx
import pytest

from eagle_eval.core.records import JudgeUnavailable
from eagle_eval.judge.chat_client import MAX_ANSWER_CHARS, ChatClient, ChatEndpoint, retry_after_s
from tests.model_adapters.test_openai_adapter import DATA_ROOT, SECRET, Server


@pytest.fixture(scope="module")
def server():
    running = Server("ok")
    yield running
    running.stop()


def _pope(eagle, tmp_path: Path, server: Server, behaviour: str, *extra: str, base_url: str | None = None):
    return eagle(
        "run", "--model", f"openai:{behaviour}", "--tasks", "pope", "--data-root", str(DATA_ROOT),
        "--output-dir", str(tmp_path / "runs"), "--model-arg", f"base_url={base_url or server.url}",
        "--model-arg", f"cache_dir={tmp_path / 'cache'}", "--model-arg", "api_key_env=SERVED_VLM_KEY",
        "--no-progress", *extra,
    )  # fmt: skip


def _samples(tmp_path: Path) -> list[dict]:
    (run_dir,) = (tmp_path / "runs").iterdir()
    return [json.loads(line) for line in (run_dir / "samples" / "pope.jsonl").open()]


def _results(tmp_path: Path) -> dict:
    (run_dir,) = (tmp_path / "runs").iterdir()
    return json.loads((run_dir / "results.json").read_text())["results"]["pope"]


def _requests_for(server: Server, model: str) -> list[dict]:
    return [request for request in server.stats()["requests"] if request["model"] == model]


def _client(server: Server, model: str, tmp_path: Path, **settings) -> ChatClient:
    endpoint = ChatEndpoint(base_url=server.url, model=model, api_key=SECRET, cache_dir=tmp_path, **settings)
    return ChatClient(endpoint, tmp_path / "cache", unavailable=JudgeUnavailable)


def _ask(client: ChatClient, text: str) -> str:
    return client.complete({"model": client.endpoint.model, "max_tokens": 8,
                            "messages": [{"role": "user", "content": text}]})


# --- Retry-After --------------------------------------------------------------------------------------


@pytest.mark.slow  # the run waits a second for every sample, as the server asks
def test_a_rate_limited_run_waits_as_long_as_the_server_asks_and_every_sample_is_answered(eagle, server, tmp_path):
    result = _pope(eagle, tmp_path, server, "retry-after:1")
    assert result.code == 0, result.err
    samples = _samples(tmp_path)
    assert len(samples) == 12 and all(s["prediction"] in ("yes", "no") and s["error"] is None for s in samples)
    assert _results(tmp_path)["n_errors"] == 0
    by_prompt: dict[str, list[float]] = {}
    for request in _requests_for(server, "retry-after:1"):
        by_prompt.setdefault(request["text"], []).append(request["time"])
    assert len(by_prompt) == 12 and all(len(times) == 2 for times in by_prompt.values())
    # The retry came no sooner than the server asked (the default back-off would have tried after <= 1 s
    # less jitter), and not much later either.
    gaps = [times[1] - times[0] for times in by_prompt.values()]
    assert min(gaps) >= 1.0 and max(gaps) < 3.0, gaps


def test_retry_after_as_an_http_date_is_honoured(server, tmp_path):
    client = _client(server, "retry-after-date:2", tmp_path, max_tries=3, timeout_s=10, backoff_s=0.01)
    assert _ask(client, "date") in ("yes", "no")
    first, second = (request["time"] for request in _requests_for(server, "retry-after-date:2"))
    # An HTTP date has whole seconds: "2 s from now" is at least one second ahead.
    assert second - first >= 0.9, second - first
    assert client.stats.retries == 1


def test_a_wait_longer_than_the_time_left_ends_the_call_at_once_with_the_reason(server, tmp_path):
    client = _client(server, "retry-after:20", tmp_path, max_tries=5, timeout_s=5, backoff_s=0.01)
    started = time.monotonic()
    with pytest.raises(JudgeUnavailable, match=r"asked to wait 20 s .*Retry-After.*HTTP 429"):
        _ask(client, "too long")
    assert time.monotonic() - started < 2
    assert len(_requests_for(server, "retry-after:20")) == 1


def test_retry_after_forms():
    now = 1_000_000.0
    assert retry_after_s(httpx.Headers({"Retry-After": "20"}), now) == 20
    assert retry_after_s(httpx.Headers({"Retry-After": "1.5"}), now) == 1.5
    assert retry_after_s(httpx.Headers({"retry-after-ms": "250"}), now) == 0.25
    assert retry_after_s(httpx.Headers({"Retry-After": "Mon, 12 Jan 1970 13:46:50 GMT"}), now) == 10
    assert retry_after_s(httpx.Headers({"Retry-After": "Mon, 12 Jan 1970 13:46:30 GMT"}), now) == 0
    assert retry_after_s(httpx.Headers({"Retry-After": "soon"}), now) is None
    assert retry_after_s(httpx.Headers({}), now) is None


# --- empty answers ------------------------------------------------------------------------------------


def test_an_empty_answer_is_a_wrong_prediction_not_a_failure_and_is_never_paid_for_twice(eagle, server, tmp_path):
    first = _pope(eagle, tmp_path, server, "empty", "--model-arg", "max_consecutive_failures=3")
    assert first.code == 0, first.err
    samples = _samples(tmp_path)
    assert len(samples) == 12 and all(s["prediction"] == "" and s["error"] is None for s in samples)
    pope = _results(tmp_path)
    assert pope["n_errors"] == 0 and pope["extraction"]["unresolved"] == 12
    assert len(_requests_for(server, "empty")) == 12  # one request per sample: no retry, no breaker
    (run_dir,) = (tmp_path / "runs").iterdir()
    (run_dir / "results.json").unlink()
    (run_dir / "samples" / "pope.jsonl").unlink()
    again = _pope(eagle, tmp_path, server, "empty")
    assert again.code == 0, again.err
    assert len(_requests_for(server, "empty")) == 12  # rebuilt from the cache


# --- secrets in what the server sends back -------------------------------------------------------------


def _everything_written(tmp_path: Path, *texts: str) -> str:
    files = [path.read_text(errors="replace") for path in tmp_path.rglob("*") if path.is_file()]
    return "\n".join([*files, *texts])


def test_a_server_echoing_the_key_in_its_error_body_gets_it_written_nowhere(eagle, server, tmp_path, monkeypatch):
    monkeypatch.setenv("SERVED_VLM_KEY", SECRET)
    query_secret = "query-secret-5c1d8e"
    url = f"{server.url}?api_key={query_secret}"
    result = _pope(eagle, tmp_path, server, "echo-auth", "--model-arg", "max_consecutive_failures=2",
                   base_url=url)  # fmt: skip
    assert result.code == 3, result.err
    requests = _requests_for(server, "echo-auth")
    assert requests and set(server.stats()["authorization"]) >= {f"Bearer {SECRET}"}  # the key was sent
    errors = [s["error"] for s in _samples(tmp_path)]
    assert all(errors) and any("HTTP 401" in e and "Bearer ***" in e for e in errors), errors
    written = _everything_written(tmp_path, result.out, result.err)
    assert SECRET not in written and query_secret not in written


def test_an_answer_echoing_the_key_is_kept_without_it(eagle, server, tmp_path, monkeypatch):
    monkeypatch.setenv("SERVED_VLM_KEY", SECRET)
    result = _pope(eagle, tmp_path, server, "echo-auth-answer", "--limit", "2")
    assert result.code == 0, result.err
    assert all(s["prediction"].startswith("you sent Bearer ***") for s in _samples(tmp_path))
    assert SECRET not in _everything_written(tmp_path, result.out, result.err)


def test_a_key_across_the_kept_length_of_an_error_body_leaves_no_part_of_itself(server, tmp_path):
    # The body opens with '{"error": {"message": "' (23 characters), then the padding, "Incorrect API
    # key provided: Bearer " (35): the key starts at 193 and runs past the 200 characters kept.
    client = _client(server, "echo-auth:135", tmp_path)
    with pytest.raises(JudgeUnavailable) as caught:
        _ask(client, "straddle")
    message = str(caught.value)
    assert "Bearer ***" in message and SECRET[:7] not in message, message


def test_credentials_in_the_base_url_are_redacted_from_error_bodies(server, tmp_path):
    password = "pw-in-the-url-93b1"
    endpoint = ChatEndpoint(base_url=server.url.replace("://", f"://user:{password}@"), model="echo-auth",
                            cache_dir=tmp_path)  # fmt: skip
    client = ChatClient(endpoint, tmp_path / "cache", unavailable=JudgeUnavailable)
    with pytest.raises(JudgeUnavailable) as caught:
        _ask(client, "basic auth")
    message = str(caught.value)
    token = base64.b64encode(f"user:{password}".encode()).decode()  # the Basic header the server echoes
    assert "HTTP 401" in message and "Basic ***" in message and password not in message and token not in message
    assert client.redact(f"user:{password} Bearer x") == "***:*** Bearer x"


# --- answers of megabytes -----------------------------------------------------------------------------


def test_an_answer_far_longer_than_asked_for_is_cut_and_the_sample_says_so(eagle, server, tmp_path):
    result = _pope(eagle, tmp_path, server, "huge:300000")
    assert result.code == 0, result.err
    samples = _samples(tmp_path)
    assert len(samples) == 12
    for sample in samples:
        assert len(sample["prediction"]) == MAX_ANSWER_CHARS
        assert sample["notes"] == {"answer_chars": 300003, "answer_truncated": True}
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert (run_dir / "samples" / "pope.jsonl").stat().st_size < 12 * (MAX_ANSWER_CHARS + 2000)
    assert _results(tmp_path)["n_answers_truncated"] == 12
    # The cache keeps the cut answer and its received length: a rebuilt samples file says the same.
    (run_dir / "results.json").unlink()
    (run_dir / "samples" / "pope.jsonl").unlink()
    assert _pope(eagle, tmp_path, server, "huge:300000").code == 0
    assert [s["notes"] for s in _samples(tmp_path)] == [s["notes"] for s in samples]
    assert len(_requests_for(server, "huge:300000")) == 12


def test_a_body_sent_a_byte_at_a_time_cannot_hold_a_call_past_its_bound(server, tmp_path):
    client = _client(server, "drip:0.2", tmp_path, max_tries=3, timeout_s=2, backoff_s=0.01)
    started = time.monotonic()
    with pytest.raises(JudgeUnavailable, match="ReadTimeout"):
        _ask(client, "drip")  # the whole body would take 13 s
    assert time.monotonic() - started < 3.5


def test_a_body_over_the_read_limit_fails_the_call_without_retrying(server, tmp_path):
    client = _client(server, "huge:17000000", tmp_path, max_tries=3, timeout_s=60, backoff_s=0.01)
    with pytest.raises(JudgeUnavailable, match="response body over"):
        _ask(client, "too big")
    assert len(_requests_for(server, "huge:17000000")) == 1
