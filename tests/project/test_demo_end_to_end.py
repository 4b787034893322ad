"""The demo, end to end: eagle-tiny through the real loader on every task's bundled samples.

One run of all tasks feeds the checks of the table, re-scoring and the regression gate. The answers
are capped at 16 new tokens (tests/short_answers.py): these checks are about the pipeline, not the
length of a random model's noise.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from eagle_eval.api.registry import task_names
from eagle_eval.cli import main
from eagle_eval.results.reference import PAPER_COLUMNS

from ..short_answers import new_tokens_capped

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "hub"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    with new_tokens_capped():
        code = main(["run", "--model", "eagle-tiny", "--tasks", "all", "--data-root", str(BUNDLED),
                     "--output-dir", str(out), "--device", "cpu", "--no-progress"])
    assert code == 0
    (run_dir,) = out.iterdir()
    return run_dir


def _cli(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str]:
    capsys.readouterr()
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().out


def test_every_task_ran_without_errors(demo_run: Path) -> None:
    results = json.loads((demo_run / "results.json").read_text())
    assert sorted(results["results"]) == task_names()
    assert results["n_errors"] == 0
    assert results["model"]["name"] == "eagle-tiny"
    (pope,) = results["results"]["pope"]["sources"]
    assert {k: pope[k] for k in ("repo", "config", "split", "revision")} == {
        "repo": "lmms-lab/POPE", "config": "default", "split": "test",
        "revision": "4db1276663dfa5eb8ad16a52d24c31a09e470896"}
    # The bundled samples carry no download metadata: the bytes are known, the commit is not, so the
    # task's pin cannot be confirmed and the number is unpinned.
    assert pope["provenance"]["commit"] == "unknown" and pope["provenance"]["content_hash"].startswith("sha256:")
    assert pope["pinned"] is False


def test_table_fills_all_thirteen_columns_beside_the_published_row(
    demo_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _cli(capsys, "table", demo_run.parent, "--reference", "eagle-x5-7b", "--format", "csv")
    assert code == 0
    header, *rows = list(csv.reader(io.StringIO(out.strip())))
    assert header[header.index("source") + 1:][: len(PAPER_COLUMNS)] == list(PAPER_COLUMNS)
    by_label = {row[header.index("Model")]: dict(zip(header, row, strict=True)) for row in rows}
    published = {column: by_label["Eagle-X5-7B"][column] for column in PAPER_COLUMNS}
    assert published["TextVQA"] == "71.2" and published["POPE"] == "88.8"
    assert by_label["Eagle-X5-7B"]["kind"] == "published"
    # VQAv2 and VizWiz come from their local validation variants until a server score is recorded
    # (marked ‡). The demo reads its bundled samples at `main` with no lock, so every number is marked
    # unpinned (§), in the column's own marks column.
    row = by_label["eagle-tiny"]
    ours = {column: row[column] for column in PAPER_COLUMNS}
    assert all("§" in row[f"{column} marks"] for column in PAPER_COLUMNS)
    assert "‡" in row["VQAv2 marks"] and "‡" in row["VizWiz marks"]
    # Each cell is the headline in results.json of the task for that column (the paper's protocol where it
    # has a value, else its variant), at the paper's precision: MME and OCRBench whole points, the rest
    # percent with one decimal.
    results = json.loads((demo_run / "results.json").read_text())["results"]
    expected = {}
    for column in PAPER_COLUMNS:
        filled = [r for r in results.values() if r["paper_column"] == column and r["headline"]["value"] is not None]
        (value, *_) = [r["headline"]["value"] for r in sorted(filled, key=lambda r: not r.get("paper_protocol", True))]
        expected[column] = str(round(value)) if column in ("MME", "OCRBench") else str(round(value, 1))
    assert ours == expected


@pytest.mark.parametrize("task", ["textvqa", "pope", "mmbench", "mme"])
def test_score_reproduces_the_run_headline(demo_run: Path, tmp_path: Path, task: str, capsys) -> None:
    output = tmp_path / "rescored.json"
    code, _ = _cli(capsys, "score", "--task", task, "--predictions", demo_run / "samples" / f"{task}.jsonl",
                   "--data-root", BUNDLED, "--output", output, "--no-progress")
    assert code == 0
    original = json.loads((demo_run / "results.json").read_text())["results"][task]
    rescored = json.loads(output.read_text())["results"][task]
    assert rescored["headline"] == original["headline"] and rescored["metrics"] == original["metrics"]


def test_compare_exit_codes(demo_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = demo_run / "results.json"
    assert _cli(capsys, "compare", results, "--baseline", results)[0] == 0
    better = json.loads(results.read_text())
    better["results"]["mmbench"]["headline"]["value"] += 5.0  # the baseline was 5 points higher
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps(better))
    assert _cli(capsys, "compare", results, "--baseline", baseline)[0] == 1
    assert _cli(capsys, "compare", results, "--baseline", baseline, "--max-drop", "mmbench=6")[0] == 0
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert _cli(capsys, "compare", results, "--baseline", broken)[0] == 2


def test_recorded_server_score_fills_the_column(demo_run: Path, tmp_path: Path, capsys) -> None:
    copy = tmp_path / "run" / "results.json"
    copy.parent.mkdir()
    copy.write_text((demo_run / "results.json").read_text())
    code, _ = _cli(capsys, "record-server-score", copy, "--task", "vqav2", "--value", "83.4", "--note", "EvalAI #1")
    assert code == 0
    entry = json.loads(copy.read_text())["results"]["vqav2"]
    assert entry["server_scored"] is True and entry["headline"]["value"] == 83.4
    code, out = _cli(capsys, "table", copy, "--format", "markdown")
    header, _, row = [[cell.strip() for cell in line.strip("|").split("|")] for line in out.splitlines()[:3]]
    cells = dict(zip(header, row, strict=True))
    # The paper's test-dev split now, not the validation stand-in (‡); § as every demo number is unpinned.
    assert cells["VQAv2"] == "83.4†§"
    assert cells["VizWiz"].endswith("‡§")
    assert _cli(capsys, "record-server-score", copy, "--task", "nope", "--value", "1")[0] == 2
