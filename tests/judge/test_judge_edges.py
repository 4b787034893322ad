"""A judge that fails every call is named, counted and not a clean result; one that echoes the key leaks nothing.

`eagle-eval score` runs as its own process against tests/judge_server.py, whose `echo-auth` model answers
every call with HTTP 401 and an error body holding the Authorization header it was sent (as some
servers do). Every MMBench answer in the predictions is one the rules cannot read, so each goes to the
judge.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from eagle_eval.data.fixtures import mmbench as mmbench_fixture
from eagle_eval.judge.llm_judge import ENV_API_KEY, ENV_BASE_URL, ENV_CACHE, ENV_MODEL
from eagle_eval.tasks.mmbench import MMBench
from tests.judge.test_judge import JUDGE_VARS, SECRET, Server

UNREADABLE = "It was taken by a camera"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hub")
    mmbench_fixture.write(root)
    return root


def _score(server: Server, model: str, tmp_path: Path, hub_root: Path) -> tuple[subprocess.CompletedProcess, Path]:
    predictions = tmp_path / "predictions.jsonl"
    lines = [{"split": "dev", "doc_id": i, "prediction": UNREADABLE} for i in range(13)]
    predictions.write_text("".join(json.dumps(line) + "\n" for line in lines))
    output = tmp_path / "out" / "results.json"
    env = {k: v for k, v in os.environ.items() if k not in JUDGE_VARS}
    env.update({ENV_BASE_URL: server.url, ENV_MODEL: model, ENV_API_KEY: SECRET, ENV_CACHE: str(tmp_path / "cache"),
                "HF_DATASETS_CACHE": str(tmp_path / "hf-cache")})  # fmt: skip
    command = [sys.executable, "-m", "eagle_eval", "score", "--task", "mmbench", "--predictions", str(predictions),
               "--data-root", str(hub_root), "--output", str(output), "--no-progress"]  # fmt: skip
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path), output


@pytest.mark.slow  # a CLI process scoring through a judge server
def test_a_judge_failing_every_call_is_named_counted_and_exits_3_without_leaking_the_key(tmp_path, hub):
    server = Server("ok", "D")
    try:
        finished, output = _score(server, "echo-auth", tmp_path, hub)
        calls = server.stats()["chat_requests"]
    finally:
        server.stop()
    assert finished.returncode == 3, finished.stderr
    assert calls == 5  # the breaker's default: after 5 failed calls in a row the judge is not called again
    mmbench = json.loads(output.read_text())["results"]["mmbench"]
    assert mmbench["extraction"]["judge_failed"] == 13 and mmbench["extraction"]["unresolved"] == 0
    assert mmbench["metrics"]["judge_failed"] == 13 and mmbench["n_errors"] == 0
    judge = mmbench["judge"]
    assert judge["failed_calls"] == 13 and "HTTP 401" in judge["last_error"] and "Bearer ***" in judge["last_error"]
    stderr = " ".join(finished.stderr.split())
    assert "the judge failed on 13 sample(s) of mmbench" in stderr and "HTTP 401" in stderr, stderr
    written = [path.read_text(errors="replace") for path in tmp_path.rglob("*") if path.is_file()]
    assert SECRET not in "\n".join([*written, finished.stdout, finished.stderr])


@pytest.mark.slow  # a CLI process scoring through a judge server
def test_a_judge_that_answers_leaves_a_clean_result(tmp_path, hub):
    server = Server("ok", "D")
    try:
        finished, output = _score(server, "judge-test", tmp_path, hub)
    finally:
        server.stop()
    assert finished.returncode == 0, finished.stderr
    mmbench = json.loads(output.read_text())["results"]["mmbench"]
    assert mmbench["extraction"]["judge"] == 13 and mmbench["extraction"]["judge_failed"] == 0
    assert "failed_calls" not in mmbench["judge"] and "judge failed" not in finished.stderr


def test_an_empty_judge_answer_is_unresolved_never_the_choice_nearest_to_nothing(tmp_path):
    from eagle_eval.core.records import Doc
    from eagle_eval.judge.llm_judge import JudgeClient, JudgeConfig
    from eagle_eval.tasks.mathvista import MathVista

    row = {"query": "Which is larger? Choices: (A) cat (B) elephant", "question_type": "multi_choice",
           "answer_type": "text", "choices": ["cat", "elephant"], "answer": "cat", "precision": None}  # fmt: skip
    server = Server("ok", "D")
    try:
        judge = JudgeClient(JudgeConfig(base_url=server.url, model="empty", cache_dir=tmp_path))
        score = MathVista().score(Doc("testmini", 0, row), "I would say the small furry one", judge=judge)
        calls = server.stats()["chat_requests"]
    finally:
        server.stop()
    assert calls == 1 and judge.stats.answered == 1 and judge.stats.failed == 0  # answered once, not retried
    assert (score.extraction, score.parsed, score.values["correct"]) == ("unresolved", None, 0.0)


def test_an_unanswered_call_is_judge_failed_and_an_empty_answer_is_the_judges_answer():
    from eagle_eval.core.records import Doc, JudgeUnavailable

    class Down:
        def ask(self, prompt: str) -> str:
            raise JudgeUnavailable("down")

    class Empty:
        def ask(self, prompt: str) -> str:
            return ""

    row = {"index": 0, "question": "Which?", "hint": None, "A": "cat", "B": "dog", "C": None, "D": None,
           "answer": "A", "category": "c", "L2-category": "l"}  # fmt: skip
    doc = Doc("dev", 0, row)
    failed = MMBench().score(doc, UNREADABLE, judge=Down())
    assert (failed.extraction, failed.values["correct"]) == ("judge_failed", 0.0)
    empty = MMBench().score(doc, UNREADABLE, judge=Empty())
    assert (empty.extraction, empty.values["correct"]) == ("unresolved", 0.0)
