"""The fixture board: real runs of the bundled data that the leaderboard tests read.

eagle-tiny on GQA with two seeds; a replay of the example GQA answers (labelled `baseline` at run
time), the same run copied into a second folder, the same answers replayed on POPE in another folder
(one model, so one row with both columns), a replay with 3 of the 8 GQA answers missing (3 failed
samples), and an 8-doc `--limit` POPE run (a subset of the 12 bundled questions).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from eagle_eval.cli import main

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "data" / "hub"
COMMON = ["--data-root", str(BUNDLED), "--no-progress"]


def _predictions(folder: Path, name: str, rows: list[dict]) -> Path:
    path = folder / f"{name}.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _replay(out: Path, predictions: Path, tasks: str, *extra: str) -> Path:
    code = main(["run", "--model", "replay", "--predictions", str(predictions), "--tasks", tasks,
                 "--output-dir", str(out), *extra, *COMMON])
    assert code in (0, 3), code  # 3: some samples failed and were scored as wrong
    (run,) = out.iterdir()
    return run


@pytest.fixture(scope="session")
def board(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("board")
    inputs = tmp_path_factory.mktemp("predictions")
    for seed in ("1", "2"):
        assert main(["run", "--model", "eagle-tiny", "--device", "cpu", "--tasks", "gqa", "--seed", seed,
                     "--output-dir", str(out / "tiny"), *COMMON]) == 0
    gqa = [json.loads(line) for line in (ROOT / "docs" / "examples" / "gqa_baseline.jsonl").read_text().splitlines()]
    pope = [{"doc_id": i, "prediction": "yes"} for i in range(12)]
    answers = _predictions(inputs, "baseline", [{**row, "task": "gqa"} for row in gqa]
                           + [{**row, "task": "pope"} for row in pope])
    runs = {"baseline": _replay(out / "replay", answers, "gqa", "--label", "baseline")}
    runs["baseline-pope"] = _replay(out / "replay-pope", answers, "pope")
    shutil.copytree(runs["baseline"], out / "copy" / runs["baseline"].name)
    runs["failed"] = _replay(out / "failed", _predictions(inputs, "five-of-eight", gqa[:5]), "gqa")
    runs["subset"] = _replay(out / "subset", _predictions(inputs, "all-yes", pope), "pope", "--limit", "8")
    runs["out"] = out
    return runs
