"""Usage, input and environment errors exit 2 with one line naming the thing and the fix, never a traceback
(exit 1 means "regression" to a CI script). One test per family of input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import one_line_exit_2

DATA_ROOT = Path(__file__).resolve().parents[2] / "data" / "hub"


@pytest.mark.parametrize(
    ("flag", "says"),
    [
        (("--dtype", "fp33"), "unknown dtype 'fp33'; use one of auto, fp16"),
        (("--device", "gpu"), "NVIDIA GPUs are 'cuda'"),
        (("--device", "cuda:x"), "use cpu, cuda, cuda:N or mps"),
        (("--device", "tpu"), "unknown device 'tpu'"),
    ],
)
def test_bad_dtype_and_device_names_are_usage_errors(eagle, flag, says):
    err = one_line_exit_2(eagle("run", "--model", "eagle-tiny", "--tasks", "pope", *flag))
    assert says in err


def test_an_accelerator_this_machine_lacks_is_named_before_the_model_loads(eagle, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    err = one_line_exit_2(eagle("run", "--model", "eagle-tiny", "--tasks", "pope", "--device", "cuda"))
    assert "this machine has no cuda device; use --device cpu" in err
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    err = one_line_exit_2(eagle("run", "--model", "eagle-tiny", "--tasks", "pope", "--device", "cuda:2"))
    assert "only 2 cuda device(s), numbered 0 to 1" in err


@pytest.mark.parametrize(
    ("encoding", "says"),
    [("latin-1", "iconv -f LATIN1 -t UTF-8"), ("utf-16", "it looks like UTF-16"), ("utf-32", "it looks like UTF-32")],
)
def test_a_predictions_file_in_another_encoding_names_it_and_the_fix(eagle, tmp_path, encoding, says):
    path = tmp_path / "predictions.jsonl"
    path.write_bytes((json.dumps({"doc_id": 0, "prediction": "café"}, ensure_ascii=False) + "\n").encode(encoding))
    err = one_line_exit_2(eagle("score", "--task", "pope", "--predictions", path, "--data-root", DATA_ROOT))
    assert f"{path}: not UTF-8 text" in err and says in err


def test_json_nested_beyond_the_decoder_is_an_input_error_everywhere(eagle, tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    predictions = tmp_path / "deep.jsonl"
    predictions.write_text(deep + "\n")
    results = tmp_path / "results.json"
    results.write_text(deep)
    err = one_line_exit_2(eagle("score", "--task", "pope", "--predictions", predictions, "--data-root", DATA_ROOT))
    assert f"{predictions}:1: invalid JSON (JSON nested too deeply" in err
    assert "nested too deeply" in one_line_exit_2(eagle("table", results))
    assert "nested too deeply" in one_line_exit_2(eagle("compare", results, "--baseline", results))


def test_every_missing_dataset_is_named_at_once_with_a_command_that_exists(eagle, tmp_path):
    import shutil
    import sys

    from eagle_eval.data.loading import hub_cli

    err = one_line_exit_2(eagle("run", "--model", "eagle-tiny", "--tasks", "textvqa,pope,gqa", "--data-root", tmp_path,
                                "--output-dir", tmp_path / "runs"))
    assert "3 of 3 tasks cannot read their data" in err
    assert not (tmp_path / "runs").exists()  # no folder left behind
    for repo in ("lmms-lab/textvqa", "lmms-lab/POPE", "lmms-lab/GQA"):
        assert f"{hub_cli()} download --repo-type dataset {repo} " in err
    # The suggested program is one the installed huggingface_hub really put beside this interpreter.
    assert shutil.which(hub_cli(), path=str(Path(sys.executable).parent)) or shutil.which(hub_cli())
    assert "huggingface-cli" not in err or hub_cli() == "huggingface-cli"


def test_a_tolerance_for_an_unknown_task_is_refused(eagle, tmp_path):
    results = tmp_path / "results.json"
    results.write_text("{}")
    err = one_line_exit_2(eagle("compare", results, "--baseline", results, "--max-drop", "popx=60"))
    assert "--max-drop names unknown task(s) popx (did you mean pope" in err


@pytest.mark.slow  # a fresh interpreter lists the 7B state dict, more than a pipe holds
@pytest.mark.parametrize("command", ["tasks", "models --json"])
def test_output_cut_short_by_a_closed_pipe_ends_quietly(command):
    import subprocess
    import sys

    # `true` exits before the interpreter has started, so the command's first write meets a pipe with
    # no reader: the moment `eagle-eval ... | head` reaches once head has read its lines.
    pipeline = f"{sys.executable} -m eagle_eval {command} | true"
    done = subprocess.run(["bash", "-o", "pipefail", "-c", pipeline], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stderr == "", done.stderr


def _pope_snapshot(root: Path) -> Path:
    """A copy of the POPE fixture snapshot under root; returns its parquet file."""
    import shutil

    shutil.copytree(DATA_ROOT / "lmms-lab" / "POPE", root / "lmms-lab" / "POPE")
    (parquet,) = (root / "lmms-lab" / "POPE").rglob("*.parquet")
    return parquet


def _truncate(parquet: Path) -> None:
    parquet.write_bytes(parquet.read_bytes()[: parquet.stat().st_size // 2])  # a download cut short


def _garble_middle(parquet: Path) -> None:
    data = bytearray(parquet.read_bytes())
    middle = len(data) // 2
    data[middle - 200 : middle + 200] = b"\xff" * 400  # footer intact, pages inside not
    parquet.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_truncate, _garble_middle], ids=["truncated", "garbled"])
@pytest.mark.parametrize("command", ["score", "run"])
def test_a_corrupt_parquet_file_is_named_with_the_re_download_command(eagle, tmp_path, damage, command):
    from eagle_eval.data.loading import hub_cli

    parquet = _pope_snapshot(tmp_path / "hub")
    damage(parquet)
    predictions = tmp_path / "predictions.jsonl"
    predictions.write_text(json.dumps({"doc_id": 0, "prediction": "yes"}) + "\n")
    common = ("--predictions", predictions, "--data-root", tmp_path / "hub", "--no-progress")
    argv = ("score", "--task", "pope") if command == "score" else ("run", "--model", "replay", "--tasks", "pope",
                                                                   "--output-dir", tmp_path / "runs")
    err = one_line_exit_2(eagle(*argv, *common))
    assert f"corrupt file {parquet}" in err and "has no split" not in err
    assert f"Re-fetch it with: {hub_cli()} download --repo-type dataset lmms-lab/POPE --revision " in err
    assert f"--local-dir {tmp_path / 'hub' / 'lmms-lab' / 'POPE'}" in err


def test_an_empty_split_is_named_with_the_fix(eagle, tmp_path):
    import pyarrow.parquet as pq

    parquet = _pope_snapshot(tmp_path / "hub")
    pq.write_table(pq.read_table(parquet).slice(0, 0), parquet)  # the schema, no rows
    predictions = tmp_path / "predictions.jsonl"
    predictions.write_text(json.dumps({"doc_id": 0, "prediction": "yes"}) + "\n")
    err = one_line_exit_2(eagle("score", "--task", "pope", "--predictions", predictions,
                                 "--data-root", tmp_path / "hub", "--no-progress"))
    assert "dataset lmms-lab/POPE (config 'default', split 'test') has no rows" in err
    assert "DatasetGenerationError" not in err and "Re-fetch it with:" in err
