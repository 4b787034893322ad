"""lmms-eval interop, both ways, with lmms-eval itself doing its part.

1. lmms-eval's own command line runs `--model eagle_eval --model_args pretrained=<dir>` (found through our
   `lmms_eval.models` entry point) on its own POPE task YAML, pointed at the bundled POPE parquet, with the
   eagle-tiny checkpoint folder, and writes its `--log_samples` file.
2. `eagle-eval score` reads that very file: the predictions are the ones our adapter gives the same requests,
   and our POPE accuracy on them equals lmms-eval's own `pope_accuracy` in the results it wrote.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import lmms_eval
import pytest

from eagle_eval.model_adapters.eagle.tiny import ensure_tiny_checkpoint

DATA_ROOT = Path(__file__).resolve().parents[2] / "data" / "hub"
POPE_PARQUET = DATA_ROOT / "lmms-lab" / "POPE" / "data" / "default" / "test-00000-of-00001.parquet"
LIMIT = 6


def test_the_entry_point_is_declared_for_lmms_eval():
    (entry,) = [ep for ep in entry_points(group="lmms_eval.models") if ep.name == "eagle_eval"]
    manifest = entry.load()()
    assert manifest.model_id == "eagle_eval" and manifest.simple_class_path.endswith(".EagleEvalLMM")


@pytest.fixture(scope="module")
def lmms_eval_run(tmp_path_factory) -> Path:
    """One lmms-eval run through our plugin; returns its output folder."""
    root = tmp_path_factory.mktemp("lmms_eval_run")
    tasks = root / "tasks"
    tasks.mkdir()
    pope_yaml = Path(lmms_eval.__file__).parent / "tasks" / "pope" / "pope.yaml"
    # lmms-eval's own POPE task (prompt, metrics, utils), reading the local parquet instead of the hub.
    (tasks / "pope_local.yaml").write_text(
        f"include: {pope_yaml}\ntask: pope_local\ndataset_path: parquet\n"
        f"dataset_kwargs:\n  data_files:\n    test: {POPE_PARQUET}\n"
    )
    checkpoint = ensure_tiny_checkpoint("eagle-tiny")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(root / "hf")}
    command = [
        sys.executable, "-m", "lmms_eval", "--model", "eagle_eval",
        "--model_args", f"pretrained={checkpoint},model=eagle-tiny,device=cpu,dtype=fp32",
        "--tasks", "pope_local", "--include_path", str(tasks), "--limit", str(LIMIT), "--batch_size", "2",
        "--log_samples", "--output_path", str(root / "out"),
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return root / "out"


def _only(pattern: str, folder: Path) -> Path:
    (found,) = sorted(folder.rglob(pattern))
    return found


@pytest.mark.slow
def test_lmms_eval_runs_its_task_through_our_adapter_and_we_score_its_log(lmms_eval_run, eagle, tmp_path):
    log = _only("*_samples_pope_local.jsonl", lmms_eval_run)
    rows = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert sorted(row["doc_id"] for row in rows) == list(range(LIMIT))
    theirs = json.loads(_only("*_results.json", lmms_eval_run).read_text())["results"]["pope_local"]

    # The same requests through our own run give the same predictions (the adapter is the same code path).
    ours_run = eagle("run", "--model", "eagle-tiny", "--tasks", "pope", "--limit", str(LIMIT),
                     "--data-root", str(DATA_ROOT), "--output-dir", str(tmp_path / "runs"),
                     "--device", "cpu", "--dtype", "fp32")  # fmt: skip
    assert ours_run.code == 0, ours_run.err
    (run_dir,) = (tmp_path / "runs").iterdir()
    lines = [json.loads(line) for line in (run_dir / "samples" / "pope.jsonl").open()]
    ours = {line["doc_id"]: line["prediction"] for line in lines}

    def response(row):  # lmms-eval flattens a doc's single response to a string; older releases kept lists
        value = row["filtered_resps"]
        while isinstance(value, list):
            value = value[0]
        return value

    assert {row["doc_id"]: response(row) for row in rows} == ours

    # Scoring lmms-eval's file with our POPE scorer reproduces lmms-eval's own accuracy on it.
    output = tmp_path / "scored.json"
    scored = eagle("score", "--task", "pope", "--predictions", str(log), "--output", str(output),
                   "--data-root", str(DATA_ROOT), "--allow-subset")  # fmt: skip
    assert scored.code == 0, scored.err
    metrics = json.loads(output.read_text())["results"]["pope"]["metrics"]
    accuracy = next(value for key, value in metrics.items() if "accuracy" in key)
    lmms_accuracy = next(value for key, value in theirs.items() if key.startswith("pope_accuracy"))
    assert accuracy == pytest.approx(lmms_accuracy * (100 if accuracy > 1.0 >= lmms_accuracy else 1))
