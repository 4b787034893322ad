"""eagle-tiny end to end: the full model, SAM knocked out and blind on bundled TextVQA and POPE samples,
then `table --ablation` in every format. Answers are capped at 16 new tokens (tests/short_answers.py):
the checks are about the variants' records and tables, not the length of a random model's noise."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from eagle_eval.cli import main

from ..short_answers import new_tokens_capped

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "hub"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ablation-runs")
    with new_tokens_capped():
        for flags in ([], ["--ablate-expert", "sam", "--ablate-calibration-images", "2"], ["--blind"]):
            code = main(["run", "--model", "eagle-tiny", "--tasks", "textvqa,pope", "--limit", "3",
                         "--data-root", str(BUNDLED), "--output-dir", str(out), "--device", "cpu",
                         "--no-progress", *flags])
            assert code == 0
    return out


def _cli(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_each_variant_has_its_own_run_and_record(runs: Path) -> None:
    by_prefix = {p.name.split("__")[0]: json.loads((p / "results.json").read_text()) for p in runs.iterdir()}
    assert sorted(by_prefix) == ["eagle-tiny", "eagle-tiny-blind", "eagle-tiny-ko-sam"]
    knocked = by_prefix["eagle-tiny-ko-sam"]
    assert knocked["variant"]["label"] == "−SAM"
    assert knocked["results"]["textvqa"]["calibration"]["sam-1024"]["images"] == 2
    assert by_prefix["eagle-tiny-blind"]["variant"]["blind"] is True
    assert by_prefix["eagle-tiny"]["variant"] is None


@pytest.mark.parametrize("fmt", ["markdown", "latex", "csv", "html", "json"])
def test_ablation_table_in_every_format(runs: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    code, out, _ = _cli(capsys, "table", runs, "--ablation", "--format", fmt)
    assert code == 0
    assert "textvqa" in out and "pope" in out and "blind" in out
    assert ("$-$SAM" if fmt == "latex" else "−SAM") in out
    assert "*" in out  # --limit 3: every result is a subset, and says so


def test_benchmark_table_labels_the_variants(runs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(capsys, "table", runs, "--format", "csv")
    header, *rows = list(csv.reader(io.StringIO(out)))
    labels = {row[header.index("Model")] for row in rows if row[header.index("kind")] == "model"}
    assert labels == {"eagle-tiny", "eagle-tiny −SAM", "eagle-tiny blind"}
    code, _, err = _cli(capsys, "table", runs, "--ablation", "--reference", "eagle-x5-7b")
    assert code == 2 and "--reference does not apply to --ablation" in err
