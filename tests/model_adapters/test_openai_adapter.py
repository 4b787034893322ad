"""The `openai:` adapter against a real OpenAI-compatible server process on 127.0.0.1 (tests/judge_server.py).

The server answers "yes"/"no" from a hash of the request (a deterministic stand-in for a served VLM), and in
`flaky` mode refuses about half of the requests once, with 503 or 429. A run over the bundled POPE and
MMMU samples must finish with every answer, count its retries, resume from its cache without a single new
call, never write the API key anywhere, and end quickly with exit 3 and every sample's error recorded when
the server is dead.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from eagle_eval.core.records import GenerationSettings, Request
from eagle_eval.model_adapters.openai_api.adapter import cut_at_stop_strings
from eagle_eval.model_adapters.openai_api.messages import request_messages

SERVER = Path(__file__).resolve().parents[1] / "judge_server.py"
DATA_ROOT = Path(__file__).resolve().parents[2] / "data" / "hub"
SECRET = "sk-test-0123456789-never-written"


class Server:
    def __init__(self, mode: str) -> None:
        self.process = subprocess.Popen([sys.executable, str(SERVER), mode, "model"], stdout=subprocess.PIPE, text=True)
        self.url = f"http://127.0.0.1:{int(self.process.stdout.readline())}/v1"

    def stats(self) -> dict:
        return httpx.get(self.url.removesuffix("/v1") + "/stats", timeout=5).json()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def flaky_server() -> Iterator[Server]:
    server = Server("flaky")
    yield server
    server.stop()


def _run(eagle, tmp_path: Path, url: str, *extra: str):
    return eagle(
        "run", "--model", "openai:served-vlm", "--tasks", "pope,mmmu", "--data-root", str(DATA_ROOT),
        "--output-dir", str(tmp_path / "runs"), "--model-arg", f"base_url={url}",
        "--model-arg", f"cache_dir={tmp_path / 'cache'}", "--model-arg", "api_key_env=SERVED_VLM_KEY", *extra,
    )  # fmt: skip


def _sample_lines(run_dir: Path) -> list[dict]:
    return [json.loads(line) for path in sorted((run_dir / "samples").glob("*.jsonl")) for line in path.open()]


def _files_text(root: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in root.rglob("*") if p.is_file())


def test_a_run_through_a_flaky_server_completes_counts_retries_and_resumes_from_its_cache(
    eagle, flaky_server, tmp_path, monkeypatch
):
    monkeypatch.setenv("SERVED_VLM_KEY", SECRET)
    first = _run(eagle, tmp_path, flaky_server.url, "--model-arg", "max_concurrency=4")
    assert first.code == 0, first.err
    (run_dir,) = (tmp_path / "runs").iterdir()
    samples = _sample_lines(run_dir)
    assert samples and all(s["prediction"] in ("yes", "no") and not s.get("error") for s in samples)

    stats = flaky_server.stats()
    distinct = len(samples)
    # Every refused request was asked again: more HTTP requests than samples, and the results count them.
    assert stats["chat_requests"] > distinct
    results = json.loads((run_dir / "results.json").read_text())
    counters = results["model"]["extra"]["requests"]
    assert counters["answered"] == distinct and counters["retries"] == stats["chat_requests"] - distinct, (counters, stats["chat_requests"])
    assert results["model"]["extra"]["temperature"] == 0.0 and results["model"]["extra"]["seed"] == 1234
    # Greedy settings, the run's seed, the key as a Bearer header, images inline as PNG data URLs.
    assert {(r["temperature"], r["seed"]) for r in stats["requests"]} == {(0.0, 1234)}
    assert set(stats["authorization"]) == {f"Bearer {SECRET}"}
    mmmu = [r for r in stats["requests"] if "image_url" in r["parts"] and r["parts"].count("image_url") > 1]
    assert mmmu, "the bundled MMMU samples hold multi-image questions"
    assert all(url == "data:image/png;base64," for r in stats["requests"] for url in r["image_urls"])

    # The same command again: every sample is reused, not a single new call.
    (run_dir / "results.json").unlink()
    for path in (run_dir / "samples").glob("*.jsonl"):
        path.unlink()
    again = _run(eagle, tmp_path, flaky_server.url, "--model-arg", "max_concurrency=4")
    assert again.code == 0, again.err
    assert flaky_server.stats()["chat_requests"] == stats["chat_requests"]
    assert [s["prediction"] for s in _sample_lines(run_dir)] == [s["prediction"] for s in samples]

    # The key reached the server and nothing else: not results, samples, caches or the terminal.
    written = _files_text(tmp_path / "runs") + _files_text(tmp_path / "cache") + first.out + first.err
    assert SECRET not in written


def test_a_dead_server_gives_exit_3_with_every_samples_error_and_no_hang(eagle, tmp_path):
    dead = Server("fail")
    try:
        result = _run(eagle, tmp_path, dead.url, "--model-arg", "max_tries=2", "--model-arg", "timeout_s=5",
                      "--model-arg", "max_consecutive_failures=3")  # fmt: skip
    finally:
        dead.stop()
    assert result.code == 3, result.err
    (run_dir,) = (tmp_path / "runs").iterdir()
    samples = _sample_lines(run_dir)
    assert samples and all(s["prediction"] is None and s["error"] for s in samples)
    errors = {s["error"] for s in samples}
    assert any("HTTP 500" in e for e in errors) and any("in a row" in e for e in errors), errors
    results = json.loads((run_dir / "results.json").read_text())
    assert sum(task["n_errors"] for task in results["results"].values()) == len(samples)


def test_model_args_are_checked_and_credentials_never_recorded(eagle, tmp_path, monkeypatch):
    missing = eagle("run", "--model", "openai:m", "--tasks", "pope", "--data-root", str(DATA_ROOT), "--output-dir", str(tmp_path / "runs"))
    assert missing.code == 2 and "base_url" in missing.err
    unknown = eagle("run", "--model", "openai:m", "--tasks", "pope", "--data-root", str(DATA_ROOT), "--output-dir", str(tmp_path / "runs"),
                    "--model-arg", "base_url=http://127.0.0.1:1/v1", "--model-arg", "temprature=0")  # fmt: skip
    assert unknown.code == 2 and "temprature" in unknown.err and "max_concurrency" in unknown.err
    # A key would cross the network in the clear: refused before any request.
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    insecure = eagle("run", "--model", "openai:m", "--tasks", "pope", "--data-root", str(DATA_ROOT), "--output-dir", str(tmp_path / "runs"),
                     "--model-arg", "base_url=http://10.9.8.7/v1")  # fmt: skip
    assert insecure.code == 2 and SECRET not in insecure.err
    assert not (tmp_path / "runs").exists()  # every refusal before any folder is left behind


def test_inline_images_keep_their_places_and_stop_strings_cut_as_the_api_does():
    red, blue = Image.new("RGB", (4, 4), "red"), Image.new("RGB", (4, 4), "blue")
    request = Request(task="mmmu", split="validation", doc_id=0, text="Compare <image> and <image>. Which?",
                      images=[red, blue], generation=GenerationSettings(max_new_tokens=8))  # fmt: skip
    (user,) = request_messages(request)
    kinds = [part["type"] for part in user["content"]]
    assert kinds == ["text", "image_url", "text", "image_url", "text"]
    assert [part["text"] for part in user["content"] if part["type"] == "text"] == ["Compare ", " and ", ". Which?"]
    single = Request(task="pope", split="test", doc_id=0, text="Is there a cat?", images=[red])
    (user,) = request_messages(single, image_format="jpeg")
    assert [part["type"] for part in user["content"]] == ["image_url", "text"]
    assert user["content"][0]["image_url"]["url"].startswith("data:image/jpeg;base64,")
    assert cut_at_stop_strings("A.\nB\n\nC", ("\n\n", "\nB")) == "A."
    assert cut_at_stop_strings("no stop", ()) == "no stop"
