"""Security: no remote code, no pickles, and API keys that never reach a file or a log.

The key test runs a judged task (MMBench fixture, replay model) end to end against the local judge
server of tests/judge_server.py with the keys set to unique secrets, checks the key was really sent,
then searches every file under the output directory and the cache, and the command's output.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from eagle_eval.data.fixtures import mmbench as mmbench_fixture

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIRS = [REPO_ROOT / "eagle_eval", REPO_ROOT / "tasks", REPO_ROOT / "model_adapters"]
JUDGE_SERVER = Path(__file__).resolve().parents[1] / "judge_server.py"


def package_sources() -> list[Path]:
    files = [path for folder in PACKAGE_DIRS for path in sorted(folder.rglob("*.py"))]
    assert len(files) > 20  # the folders really were searched
    return files


# The hf adapter alone may pass the user's explicit `--model-arg trust_remote_code=true` on; that it stays
# off unless asked is shown by behaviour in tests/model_adapters/test_hf_registration.py::test_remote_code_stays_off_unless_asked.
OPT_IN_PACKAGE = REPO_ROOT / "model_adapters" / "hf"


def test_no_remote_code_is_ever_trusted():
    offenders = []
    for path in package_sources():
        if OPT_IN_PACKAGE in path.parents:
            continue
        for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            code = re.sub(r'"[^"]*"', '""', line)  # a mention in help text passes nothing to a loader
            # Passing trust_remote_code=False explicitly is allowed; anything else is not.
            if "trust_remote_code" in re.sub(r"trust_remote_code\s*=\s*False", "", code):
                offenders.append(f"{path.relative_to(REPO_ROOT)}:{line_no}: {line.strip()}")
    assert offenders == []


def test_torch_load_only_with_weights_only():
    offenders = []
    for path in package_sources():
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"torch\.load\(", text):
            call = text[match.start() : text.find(")", match.end()) + 1]
            if "weights_only=True" not in call:
                offenders.append(f"{path.relative_to(REPO_ROOT)}: {call}")
    assert offenders == []


def test_no_pickle_loading_in_the_package():
    pattern = re.compile(r"\bpickle\.loads?\(|\bjoblib\.load\(|\bnp\.load\([^)]*allow_pickle=True")
    offenders = [str(p.relative_to(REPO_ROOT)) for p in package_sources() if pattern.search(p.read_text("utf-8"))]
    assert offenders == []


def files_containing(root: Path, secrets: list[str]) -> list[str]:
    hits = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            hits += [f"{path}: {s[:6]}..." for s in secrets if s.encode() in data]
    return hits


@pytest.mark.slow  # two CLI processes and a judge server
def test_api_keys_are_sent_but_never_written(tmp_path):
    judge_key = "sk-eagle-judge-" + os.urandom(8).hex()
    openai_key = "sk-openai-" + os.urandom(8).hex()
    root = tmp_path / "hub"
    mmbench_fixture.write(root)
    # Answers no rule can map to a letter, so every row goes to the judge.
    predictions = tmp_path / "predictions.jsonl"
    predictions.write_text("".join(json.dumps({"doc_id": i, "prediction": "hmm, hard to say"}) + "\n" for i in range(13)))

    server = subprocess.Popen([sys.executable, str(JUDGE_SERVER), "ok", "auto"], stdout=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{int(server.stdout.readline())}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("EAGLE_EVAL_", "RANK", "WORLD_SIZE"))}
        env.update(
            EAGLE_EVAL_JUDGE_BASE_URL=f"{url}/v1",
            EAGLE_EVAL_JUDGE_MODEL="gpt-3.5-turbo-0613",
            EAGLE_EVAL_JUDGE_API_KEY=judge_key,
            OPENAI_API_KEY=openai_key,
            EAGLE_EVAL_CACHE=str(tmp_path / "cache"),
            HF_DATASETS_CACHE=str(tmp_path / "hf"),
        )
        outputs = []
        for command in (
            ["run", "--model", "replay", "--predictions", str(predictions), "--tasks", "mmbench"],
            ["score", "--task", "mmbench", "--predictions", str(predictions), "--output", str(tmp_path / "runs" / "s.json")],
        ):
            done = subprocess.run(
                [sys.executable, "-m", "eagle_eval", *command, "--data-root", str(root), "--no-progress",
                 *(["--output-dir", str(tmp_path / "runs")] if command[0] == "run" else [])],
                env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            outputs.append(done.stdout + done.stderr)
        stats = httpx.get(f"{url}/stats", timeout=5).json()
    finally:
        server.terminate()
        server.wait(timeout=10)

    # The judge was really used, with the key, and its answers were cached.
    assert stats["chat_requests"] > 0 and set(stats["authorization"]) == {f"Bearer {judge_key}"}
    results = json.loads(next((tmp_path / "runs").rglob("results.json")).read_text())
    assert results["results"]["mmbench"]["judge"] == {"model": "gpt-3.5-turbo-0613", "base_url": f"{url}/v1"}
    assert list((tmp_path / "cache" / "judge").rglob("*.json"))

    secrets = [judge_key, openai_key]
    assert files_containing(tmp_path / "runs", secrets) == []
    assert files_containing(tmp_path / "cache", secrets) == []
    assert files_containing(tmp_path, secrets) == []  # submissions, caches, anything else written here
    assert not any(s in out for s in secrets for out in outputs)
