"""Determinism: the same command on the same data and model writes byte-identical scores, and samples
identical in every field but `seconds` (each sample's generation time).

Two runs of `eagle-eval run --model eagle-tiny --tasks textvqa,pope --limit 4` in separate processes
(different hash seeds, started side by side) into two output directories; the results of each record
every software version and the seed. The same two fresh interpreters show every warning (`-W always`):
the demo's path, imports included, raises none (transformers' `past_key_values` deprecation broke the
progress bars), so nothing but the results reaches stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from eagle_eval.data.fixtures import pope as pope_fixture
from eagle_eval.data.fixtures import textvqa as textvqa_fixture
from eagle_eval.run.log import RUN_LOG_FILENAME
from tests.conftest import samples_without_seconds

REPO_ROOT = Path(__file__).resolve().parents[2]
VERSION_KEYS = {"python", "platform", "eagle_eval", "torch", "transformers", "timm", "datasets", "numpy", "pillow"}


@pytest.mark.slow
def test_same_command_same_bytes(tmp_path):
    root = tmp_path / "hub"
    textvqa_fixture.write(root)
    pope_fixture.write(root)
    runs = []
    for name, hash_seed in (("a", "1"), ("b", "2")):
        env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
        env.update(PYTHONHASHSEED=hash_seed, OMP_NUM_THREADS="1", HF_DATASETS_CACHE=str(tmp_path / f"hf-{name}"))
        command = [
            sys.executable, "-W", "always", "-m", "eagle_eval", "run", "--model", "eagle-tiny", "--tasks", "textvqa,pope",
            "--data-root", str(root), "--limit", "4", "--output-dir", str(tmp_path / name), "--no-progress",
        ]  # fmt: skip
        runs.append(subprocess.Popen(command, env=env, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for process in runs:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-3000:]
        assert "Warning" not in err, err[-3000:]

    (a,) = list((tmp_path / "a").iterdir())
    (b,) = list((tmp_path / "b").iterdir())
    assert a.name == b.name
    for run_dir in (a, b):
        log = run_dir / RUN_LOG_FILENAME
        assert not log.exists() or "past_key_values" not in log.read_text()
    for folder in ("samples", "scores"):
        names = sorted(p.name for p in (a / folder).iterdir())
        assert names == ["pope.jsonl", "textvqa.jsonl"]
        for file_name in names:
            first, second = (a / folder / file_name).read_bytes(), (b / folder / file_name).read_bytes()
            assert first.count(b"\n") == 4, f"{folder}/{file_name}"
            if folder == "samples":  # identical but for each sample's generation time
                first, second = (samples_without_seconds(run / folder / file_name) for run in (a, b))
            assert first == second, f"{folder}/{file_name} differs"

    results = json.loads((a / "results.json").read_text())
    assert results["seed"] == 1234
    missing = VERSION_KEYS - set(results["software"])
    assert not missing and all(results["software"][key] for key in VERSION_KEYS)
    assert results["model"]["name"] == "eagle-tiny" and results["model"]["dtype"] == "float32"
    assert results["command"].startswith("eagle-eval run --model eagle-tiny --tasks textvqa,pope")
