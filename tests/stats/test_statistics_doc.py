"""The worked example of docs/statistics.md: its commands run and give the figures it quotes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
BUNDLED = ROOT / "data" / "hub"


def test_worked_example_figures(eagle, tmp_path):
    doc = (ROOT / "docs" / "statistics.md").read_text()
    for name, predictions in (("baseline", "gqa_baseline.jsonl"), ("new", "gqa_new_lmms_eval.jsonl")):
        result = eagle("score", "--task", "gqa", "--predictions", EXAMPLES / predictions, "--data-root", BUNDLED,
                       "--output", tmp_path / name / "results.json", "--no-progress")  # fmt: skip
        assert result.code == 0, result.err
    headline = {
        name: json.loads((tmp_path / name / "results.json").read_text())["results"]["gqa"]["uncertainty"][
            "headline"
        ]
        for name in ("baseline", "new")
    }
    assert headline["baseline"]["value"] == 87.5 and round(headline["baseline"]["se"], 1) == 10.6
    assert headline["new"]["value"] == 50.0 and round(headline["new"]["se"], 1) == 11.1
    assert headline["new"]["n_units"] == 3 and headline["new"]["method"] == "clustered"

    compared = eagle(
        "compare", tmp_path / "new", "--baseline", tmp_path / "baseline", "--json", tmp_path / "c.json"
    )
    assert compared.code == 0
    row = next(line for line in compared.out.splitlines() if line.startswith("| gqa"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    quoted = next(line for line in doc.splitlines() if line.strip().startswith("| gqa") and "87.50" in line)
    assert cells[:12] == [cell.strip() for cell in quoted.strip().strip("|").split("|")][:12]
    entry = json.loads((tmp_path / "c.json").read_text())["tasks"]["gqa"]
    assert entry["mcnemar_p"] == pytest.approx(0.25) and entry["verdict"] == "noise"

    power = eagle("power", tmp_path / "new", "--baseline", tmp_path / "baseline", "--drop", "1")
    needed = int(
        next(line for line in power.out.splitlines() if line.startswith("| gqa"))
        .split("|")[6]
        .replace(",", "")
    )
    assert round(needed, -2) == 3500 and "about 3,500 questions" in doc
