"""The judge client against a real HTTP server process on 127.0.0.1 (tests/judge_server.py).

Covered: answers are used and cached (a second run makes no HTTP call), a failing endpoint is
retried and then counted judge_failed, a slow endpoint times out within the bound, a dead endpoint
stops being called, the key is sent but never written, and nothing needs a key to import or list.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import datasets
import httpx
import pytest

from eagle_eval.api.task import Doc, JudgeUnavailable
from eagle_eval.data.fixtures import mathvista as mathvista_fixture
from eagle_eval.data.fixtures import mmbench as mmbench_fixture
from eagle_eval.judge.llm_judge import (
    ENV_API_KEY,
    ENV_BASE_URL,
    ENV_CACHE,
    ENV_MODEL,
    JudgeClient,
    JudgeConfig,
    JudgeConfigError,
    config_from_environment,
    judge_from_environment,
)
from eagle_eval.run.config import command_string
from eagle_eval.run.scoring import Outcome
from eagle_eval.tasks.mathvista import MathVista
from eagle_eval.tasks.mmbench import MMBench

SERVER = Path(__file__).resolve().parents[1] / "judge_server.py"
SECRET = "sk-test-never-write-me-7f3a9c"
JUDGE_VARS = (ENV_BASE_URL, ENV_MODEL, ENV_API_KEY)


class Server:
    def __init__(self, mode: str, reply: str = "auto") -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(SERVER), mode, reply], stdout=subprocess.PIPE, text=True
        )
        self.url = f"http://127.0.0.1:{int(self.process.stdout.readline())}/v1"

    def stats(self) -> dict:
        return httpx.get(self.url.removesuffix("/v1") + "/stats", timeout=5).json()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def start(mode: str, reply: str = "auto") -> Iterator[Server]:
    server = Server(mode, reply)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def ok_server() -> Iterator[Server]:
    """Answers every prompt with "D", as a judge matching an answer to MMBench's option D would."""
    yield from start("ok", "D")


@pytest.fixture
def number_server() -> Iterator[Server]:
    """Answers with the first number of the model response in a MathVista extraction prompt."""
    yield from start("ok", "auto")


@pytest.fixture
def failing_server() -> Iterator[Server]:
    yield from start("fail")


@pytest.fixture
def slow_server() -> Iterator[Server]:
    yield from start("slow")


def client(server: Server, cache: Path, **overrides) -> JudgeClient:
    settings = {"max_tries": 3, "timeout_s": 10.0, "backoff_s": 0.05, "cache_dir": cache, "api_key": SECRET}
    settings.update(overrides)
    return JudgeClient(JudgeConfig(base_url=server.url, model="judge-test", **settings))


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hub")
    mmbench_fixture.write(root)
    mathvista_fixture.write(root)
    return root


def load(task, root: Path) -> list[Doc]:
    with pytest.MonkeyPatch.context() as patch:  # a private datasets cache keeps the load honest
        patch.setattr(datasets.config, "HF_DATASETS_CACHE", str(root / "hf-cache"))
        return task.load_docs(root)


def test_answers_are_used_and_cached(ok_server: Server, tmp_path: Path, hub: Path) -> None:
    docs = load(MMBench(), hub)
    task = MMBench()
    # Row 0 (options Oil painting / Sketch / Digital art / Photo, answer D).
    first = task.score(docs[0], "It looks like a photo to me", judge=client(ok_server, tmp_path))
    assert first.extraction == "rule"  # "photo" is option D's text: the rules resolve it, no call
    assert ok_server.stats()["chat_requests"] == 0
    # No option letter and no option text: the judge is asked, and its "D" is used.
    unresolved = "It was taken by a camera"
    judged = task.score(docs[0], unresolved, judge=client(ok_server, tmp_path))
    assert (judged.extraction, judged.parsed, judged.values["correct"]) == ("judge", "D", 1.0)
    assert ok_server.stats()["chat_requests"] == 1
    # a new client on the same cache directory: same verdict, no HTTP call
    again = task.score(docs[0], unresolved, judge=client(ok_server, tmp_path))
    assert (again.extraction, again.parsed) == ("judge", "D")
    assert ok_server.stats()["chat_requests"] == 1
    # the key went out as the Authorization header
    assert ok_server.stats()["authorization"] == [f"Bearer {SECRET}"]


def test_mathvista_uses_the_judge_only_for_unreadable_answers(
    number_server: Server, tmp_path: Path, hub: Path
) -> None:
    docs = load(MathVista(), hub)
    task = MathVista()
    judge = client(number_server, tmp_path)
    # doc 2: integer answer 14. "14" is a bare number (rule); the sentence needs the judge, whose
    # rule returns the first number in the response.
    assert task.score(docs[2], "14", judge=judge).extraction == "rule"
    assert number_server.stats()["chat_requests"] == 0
    judged = task.score(docs[2], "The missing number is 14.", judge=judge)
    assert (judged.extraction, judged.parsed, judged.values["correct"]) == ("judge", "14", 1.0)
    assert number_server.stats()["chat_requests"] == 1


def test_failing_endpoint_is_retried_then_judge_failed(
    failing_server: Server, tmp_path: Path, hub: Path
) -> None:
    judge = client(failing_server, tmp_path, max_tries=3)
    with pytest.raises(JudgeUnavailable, match="3 tries"):
        judge.ask("anything")
    assert failing_server.stats()["chat_requests"] == 3
    docs = load(MathVista(), hub)
    score = MathVista().score(docs[2], "The missing number is 14.", judge=judge)
    assert (score.extraction, score.values["correct"], score.parsed) == ("judge_failed", 0.0, None)
    assert failing_server.stats()["chat_requests"] == 6
    assert not list(tmp_path.rglob("*.json")), "failures must not be cached"


def test_dead_endpoint_stops_being_called(failing_server: Server, tmp_path: Path) -> None:
    judge = client(failing_server, tmp_path, max_tries=1, max_consecutive_failures=2)
    for prompt in ("one", "two", "three", "four"):
        with pytest.raises(JudgeUnavailable):
            judge.ask(prompt)
    assert failing_server.stats()["chat_requests"] == 2
    assert judge.stats.failed == 4


def test_slow_endpoint_times_out_within_the_bound(slow_server: Server, tmp_path: Path, hub: Path) -> None:
    judge = client(slow_server, tmp_path, timeout_s=1.0, max_tries=3)
    docs = load(MMBench(), hub)
    score = MMBench().score(docs[0], "It was taken by a camera", judge=judge)
    assert score.extraction == "judge_failed" and score.values["correct"] == 0.0
    # The 1 s bound covers the whole call, retries included: the first attempt (the server sleeps 30 s)
    # uses all of it, so no second attempt is sent although 3 tries are allowed.
    assert slow_server.stats()["chat_requests"] == 1
    assert (judge.stats.requests, judge.stats.retries, judge.stats.failed) == (1, 0, 1)


@pytest.mark.slow  # a CLI process scoring through a judge server
def test_api_key_is_never_written(ok_server: Server, tmp_path: Path, hub: Path) -> None:
    predictions = tmp_path / "predictions.jsonl"
    unreadable = "It was taken by a camera"
    lines = [{"split": "dev", "doc_id": i, "prediction": unreadable if i == 0 else "A"} for i in range(13)]
    predictions.write_text("".join(json.dumps(line) + "\n" for line in lines))
    output = tmp_path / "out" / "results.json"
    env = {k: v for k, v in os.environ.items() if k not in JUDGE_VARS}
    env.update(
        {
            ENV_BASE_URL: ok_server.url,
            ENV_MODEL: "judge-test",
            ENV_API_KEY: SECRET,
            ENV_CACHE: str(tmp_path / "cache"),
            "HF_DATASETS_CACHE": str(tmp_path / "hf-cache"),
        }
    )
    command = [sys.executable, "-m", "eagle_eval", "score", "--task", "mmbench", "--predictions", str(predictions),
               "--data-root", str(hub), "--output", str(output), "--no-progress"]  # fmt: skip
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert finished.returncode == 0, finished.stderr
    assert ok_server.stats()["chat_requests"] == 1  # the judge was really used
    results = json.loads(output.read_text())
    assert results["results"]["mmbench"]["judge"] == {"model": "judge-test", "base_url": ok_server.url}
    written = [p for p in tmp_path.rglob("*") if p.is_file() and "hf-cache" not in p.parts]
    assert any("cache" in p.parts for p in written) and output in written
    for path in written:
        assert SECRET.encode() not in path.read_bytes(), f"the API key leaked into {path}"
    assert SECRET not in finished.stdout + finished.stderr


def test_import_and_listing_need_no_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in JUDGE_VARS and k != "OPENAI_API_KEY"}
    code = (
        "from eagle_eval.judge.llm_judge import judge_from_environment\n"
        "from eagle_eval.api.registry import task_names, get_task\n"
        "assert judge_from_environment() is None\n"
        "assert {'mmbench', 'mathvista'} <= set(task_names())\n"
        "assert get_task('mmbench').uses_judge and get_task('mathvista').uses_judge\n"
    )
    finished = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert finished.returncode == 0, finished.stderr


def test_environment_configuration(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in JUDGE_VARS:
        monkeypatch.delenv(name, raising=False)
    assert judge_from_environment() is None
    monkeypatch.setenv(ENV_BASE_URL, "http://127.0.0.1:9/v1")
    with pytest.raises(JudgeConfigError, match=ENV_MODEL):
        config_from_environment()
    monkeypatch.setenv(ENV_MODEL, "gpt-4-0125-preview")
    monkeypatch.setenv(ENV_API_KEY, SECRET)
    monkeypatch.setenv(ENV_CACHE, str(tmp_path))
    config = config_from_environment()
    assert config.endpoint == "http://127.0.0.1:9/v1/chat/completions"
    assert config.cache_dir == tmp_path / "judge"
    assert SECRET not in repr(config)
    assert judge_from_environment().describe() == {
        "base_url": "http://127.0.0.1:9/v1",
        "model": "gpt-4-0125-preview",
    }
    monkeypatch.setenv("EAGLE_EVAL_JUDGE_MAX_TRIES", "zero")
    with pytest.raises(JudgeConfigError, match="EAGLE_EVAL_JUDGE_MAX_TRIES"):
        config_from_environment()


def test_a_second_endpoint_with_the_same_model_is_asked_afresh(tmp_path: Path) -> None:
    servers = [Server("ok", "A"), Server("ok", "B")]
    try:
        first, second = (client(server, tmp_path) for server in servers)
        assert first.ask("which option?") == "A"
        assert second.ask("which option?") == "B"  # same model name, same request, other endpoint
        assert [server.stats()["chat_requests"] for server in servers] == [1, 1]
        assert client(servers[1], tmp_path).ask("which option?") == "B"  # now cached for B too
        assert first.ask("which option?", max_tokens=8) == "A"  # a different request is a different key
        assert [server.stats()["chat_requests"] for server in servers] == [2, 1]
    finally:
        for server in servers:
            server.stop()


@pytest.mark.parametrize(
    "url",
    ["http://10.1.2.3:8000/v1", "http://judge.example.com/v1", "http://[2001:db8::1]/v1", "ftp://127.0.0.1/v1"],
)
def test_the_key_is_never_sent_over_plain_http_to_another_machine(url: str, tmp_path: Path) -> None:
    with pytest.raises(JudgeConfigError, match="https://"):
        JudgeConfig(base_url=url, model="judge-test", api_key=SECRET, cache_dir=tmp_path)
    credentials_in_url = url.replace("://", f"://user:{SECRET}@", 1)
    with pytest.raises(JudgeConfigError) as caught:
        JudgeConfig(base_url=credentials_in_url, model="judge-test", cache_dir=tmp_path)
    assert SECRET not in str(caught.value)


def test_plain_http_is_fine_to_this_machine_and_https_anywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    for url in ("http://127.0.0.1:9/v1", "http://localhost:9/v1", "http://[::1]:9/v1", "https://10.1.2.3/v1"):
        assert JudgeConfig(base_url=url, model="m", api_key=SECRET).endpoint.startswith(url)
    assert JudgeConfig(base_url="http://10.1.2.3/v1", model="m").api_key is None  # no key: nothing to leak
    monkeypatch.setenv(ENV_BASE_URL, "http://10.1.2.3/v1")
    monkeypatch.setenv(ENV_MODEL, "m")
    monkeypatch.setenv(ENV_API_KEY, SECRET)
    with pytest.raises(JudgeConfigError, match="plain http"):
        config_from_environment()


def test_credentials_in_the_url_are_never_recorded(ok_server: Server, tmp_path: Path, hub: Path) -> None:
    from eagle_eval.run.scoring import ScoreOptions, judge_record, score_task

    base_url = ok_server.url.replace("://", f"://judge-user:{SECRET}@", 1) + f"?api_key={SECRET}&region=eu"
    judge = JudgeClient(JudgeConfig(base_url=base_url, model="judge-test", cache_dir=tmp_path / "cache"))
    docs = load(MMBench(), hub)[:1]
    scoring = score_task(MMBench(), docs, {docs[0].key: Outcome("It was taken by a camera")}, ScoreOptions(subset=True, judge=judge, scores_path=tmp_path / "scores.jsonl"))  # fmt: skip
    assert scoring.result.extraction["judge"] == 1 and ok_server.stats()["chat_requests"] == 1
    assert judge.config.endpoint == ok_server.url.replace("://", f"://judge-user:{SECRET}@", 1) + (
        f"/chat/completions?api_key={SECRET}&region=eu"
    )
    clean = ok_server.url.removesuffix("/v1") + "/v1?api_key=***&region=eu"
    assert scoring.result.judge == judge_record(judge) == {"model": "judge-test", "base_url": clean}
    for path in (p for p in tmp_path.rglob("*") if p.is_file()):
        assert SECRET.encode() not in path.read_bytes(), f"a credential leaked into {path}"
    assert SECRET not in command_string(["run", "--judge-url", base_url])


def test_judge_errors_name_the_endpoint_without_credentials(tmp_path: Path) -> None:
    url = f"http://user:{SECRET}@127.0.0.1:9/v1"  # nothing listens on port 9
    judge = JudgeClient(JudgeConfig(base_url=url, model="m", max_tries=1, timeout_s=2.0, cache_dir=tmp_path))
    with pytest.raises(JudgeUnavailable) as caught:
        judge.ask("anything")
    assert "127.0.0.1:9" in str(caught.value) and SECRET not in str(caught.value)
