"""Published rows say what their sources say: label, base model, data, checkpoint, reporter, split, citation.

The expected values are written here from the sources themselves, not read from the CSVs, so a
wrong label fails like a wrong number:
- NVlabs/EAGLE README.md at commit fef95f1: table 1 (Eagle-X4/X5, LLaVA-1.5 pretrain + Eagle-SFT-1.8M)
  and table 2 ("Models trained on the Cambrian-1 data"); its LLM column prints `Llama 3-8B`,
  `Vicuna-13B`, `Yi-34B`, and the Plus models as `Ealge-...` linked to NVEagle/Eagle-...;
- Cambrian-1 (arXiv 2406.16860) Table 4: all cells of table 2's nine non-Eagle rows, which it groups
  under Llama-3-Ins-8B, Vicuna-1.5-13B and Hermes2-Yi-34B; the README rounds its MME and prints its
  OCRBench divided by 10;
- EAGLE's training scripts load lmsys/vicuna-{7b,13b}-v1.5, meta-llama/Meta-Llama-3-8B-Instruct and
  NousResearch/Nous-Hermes-2-Yi-34B;
- haotian-liu/LLaVA docs/MODEL_ZOO.md at commit c121f04: the v1.6 table (LLM column `Vicuna-7B`,
  `Vicuna-13B`, `Hermes-Yi-34B`; SEED-IMG; MME as perception/cognition) and the v1.5 table (base
  model Vicuna v1.5; a `SEED` column that is all of SEED-Bench, image and video questions);
- LLaVA's LLaVA-NeXT release post (2024-01-30): LLaVA-1.5-13B SEED-IMG 68.2.
"""

from __future__ import annotations

import csv
import io
from importlib.resources import files
from pathlib import Path
from typing import NamedTuple

import pytest

from eagle_eval.results.reference import (
    PAPER_COLUMNS,
    load_reference_rows,
    same_checkpoint,
    select_references,
)

REPO = Path(__file__).resolve().parents[2]
CSVS = ("eagle_readme_tables.csv", "comparison_models.csv")
IDENTITY = ("table", "model", "label", "checkpoint", "llm", "llm_as_printed", "data", "reported_by")

README = "NVlabs/EAGLE README.md @fef95f1"
CAMBRIAN_TABLE_4 = "Cambrian-1 (arXiv 2406.16860) Table 4"
ZOO = "haotian-liu/LLaVA docs/MODEL_ZOO.md @c121f04"
RELEASE_POST = "llava-vl.github.io/blog/2024-01-30-llava-next"
V7, V13, L8, Y34 = "vicuna-7b-v1.5", "vicuna-13b-v1.5", "Meta-Llama-3-8B-Instruct", "Nous-Hermes-2-Yi-34B"
EAGLE_DATA, CAMBRIAN_DATA = "LLaVA-1.5 pretrain + Eagle-SFT-1.8M", "Cambrian-1 data"
LLAVA_15_DATA, LLAVA_16_DATA = "LLaVA-1.5 (558K pretrain + 665K SFT)", "LLaVA-1.6"
# The column each SEED cell was read from, by its heading in the cited source; all image questions only.
IMAGE_ONLY_SEED = {"SEED(I)", "SEED-IMG"}


class Expected(NamedTuple):
    model: str  # as the source prints it (the README's `Ealge-` typo corrected, see the note)
    llm_as_printed: str
    llm: str  # as the base model's checkpoint names it
    checkpoint: str  # hub id; "" where the sources name none
    data: str  # as the source names it; "" where it names none
    reported_by: str
    cites: tuple[str, ...]  # each must appear in the row's `source`
    seed_heading: str | None  # the source column of the SEED cell; None: the cell is empty


T1 = (README, "table 1")
T2 = (README, "table 2")
T4 = (CAMBRIAN_TABLE_4, README, "table 2")
EXPECTED: dict[str, Expected] = {
    "Eagle-X4-7B": Expected("Eagle-X4-7B", "Vicuna-7B", V7, "NVEagle/Eagle-X4-7B", EAGLE_DATA, "NVlabs/EAGLE", T1, "SEED(I)"),
    "Eagle-X5-7B": Expected("Eagle-X5-7B", "Vicuna-7B", V7, "NVEagle/Eagle-X5-7B", EAGLE_DATA, "NVlabs/EAGLE", T1, "SEED(I)"),
    "Eagle-X4-13B": Expected("Eagle-X4-13B", "Vicuna-13B", V13, "NVEagle/Eagle-X4-13B", EAGLE_DATA, "NVlabs/EAGLE", T1,
                             "SEED(I)"),
    "Eagle-X5-13B": Expected("Eagle-X5-13B", "Vicuna-13B", V13, "NVEagle/Eagle-X5-13B", EAGLE_DATA, "NVlabs/EAGLE", T1,
                             "SEED(I)"),
    f"Mini-Gemini-HD ({L8}; reported by Cambrian-1)": Expected("Mini-Gemini-HD", "Llama 3-8B", L8, "", "", "Cambrian-1", T4,
                                                              "SEED(I)"),
    f"LLaVA-NeXT ({L8}; reported by Cambrian-1)": Expected("LLaVA-NeXT", "Llama 3-8B", L8, "", "", "Cambrian-1", T4,
                                                          "SEED(I)"),
    f"Cambrian-1 ({L8})": Expected("Cambrian-1", "Llama 3-8B", L8, "", CAMBRIAN_DATA, "Cambrian-1", T4, "SEED(I)"),
    "Eagle-X4-8B-Plus": Expected("Eagle-X4-8B-Plus", "Llama 3-8B", L8, "NVEagle/Eagle-X4-8B-Plus", CAMBRIAN_DATA,
                                 "NVlabs/EAGLE", T2, "SEED(I)"),
    f"Mini-Gemini-HD ({V13}; reported by Cambrian-1)": Expected("Mini-Gemini-HD", "Vicuna-13B", V13, "", "", "Cambrian-1",
                                                               T4, "SEED(I)"),
    "LLaVA-NeXT-Vicuna-13B (reported by Cambrian-1)": Expected("LLaVA-NeXT", "Vicuna-13B", V13,
                                                               "liuhaotian/llava-v1.6-vicuna-13b", LLAVA_16_DATA,
                                                               "Cambrian-1", T4, "SEED(I)"),
    f"Cambrian-1 ({V13})": Expected("Cambrian-1", "Vicuna-13B", V13, "", CAMBRIAN_DATA, "Cambrian-1", T4, "SEED(I)"),
    "Eagle-X4-13B-Plus": Expected("Eagle-X4-13B-Plus", "Vicuna-13B", V13, "NVEagle/Eagle-X4-13B-Plus", CAMBRIAN_DATA,
                                  "NVlabs/EAGLE", T2, "SEED(I)"),
    f"Mini-Gemini-HD ({Y34}; reported by Cambrian-1)": Expected("Mini-Gemini-HD", "Yi-34B", Y34, "", "", "Cambrian-1", T4,
                                                               "SEED(I)"),
    "LLaVA-NeXT-34B (reported by Cambrian-1)": Expected("LLaVA-NeXT", "Yi-34B", Y34, "liuhaotian/llava-v1.6-34b",
                                                        LLAVA_16_DATA, "Cambrian-1", T4, "SEED(I)"),
    f"Cambrian-1 ({Y34})": Expected("Cambrian-1", "Yi-34B", Y34, "", CAMBRIAN_DATA, "Cambrian-1", T4, "SEED(I)"),
    "Eagle-X5-34B-Plus": Expected("Eagle-X5-34B-Plus", "Yi-34B", Y34, "NVEagle/Eagle-X5-34B-Plus", CAMBRIAN_DATA,
                                  "NVlabs/EAGLE", T2, "SEED(I)"),
    "LLaVA-1.5-7B": Expected("LLaVA-1.5-7B", "Vicuna v1.5 (7B)", V7, "liuhaotian/llava-v1.5-7b", LLAVA_15_DATA, "LLaVA",
                             (ZOO, "LLaVA-v1.5 table"), None),
    "LLaVA-1.5-13B": Expected("LLaVA-1.5-13B", "Vicuna v1.5 (13B)", V13, "liuhaotian/llava-v1.5-13b", LLAVA_15_DATA,
                              "LLaVA", (ZOO, "LLaVA-v1.5 table", RELEASE_POST, "SEED-IMG"), "SEED-IMG"),
    "LLaVA-NeXT-Vicuna-7B": Expected("LLaVA-NeXT-Vicuna-7B", "Vicuna-7B", V7, "liuhaotian/llava-v1.6-vicuna-7b",
                                     LLAVA_16_DATA, "LLaVA", (ZOO, "LLaVA-v1.6 table"), "SEED-IMG"),
    "LLaVA-NeXT-Vicuna-13B": Expected("LLaVA-NeXT-Vicuna-13B", "Vicuna-13B", V13, "liuhaotian/llava-v1.6-vicuna-13b",
                                      LLAVA_16_DATA, "LLaVA", (ZOO, "LLaVA-v1.6 table"), "SEED-IMG"),
    "LLaVA-NeXT-34B": Expected("LLaVA-NeXT-34B", "Hermes-Yi-34B", Y34, "liuhaotian/llava-v1.6-34b", LLAVA_16_DATA, "LLaVA",
                               (ZOO, "LLaVA-v1.6 table"), "SEED-IMG"),
}

# The comparison models' numbers as the model zoo at c121f04 prints them (MME: the perception half),
# with LLaVA-1.5-13B's SEED-IMG from the release post and LLaVA-1.5-7B's SEED left empty.
COMPARISON_NUMBERS = {
    "LLaVA-1.5-7B": dict(GQA=62.0, VQAv2=78.5, VizWiz=50.0, TextVQA=58.2, MME=1510.7, MMBench=64.3, SQA=66.8, POPE=85.9),
    "LLaVA-1.5-13B": dict(GQA=63.3, VQAv2=80.0, VizWiz=53.6, TextVQA=61.3, MME=1531.3, MMBench=67.7, SEED=68.2, SQA=71.6,
                          POPE=85.9),
    "LLaVA-NeXT-Vicuna-7B": dict(GQA=64.2, VQAv2=81.8, VizWiz=57.6, TextVQA=64.9, MME=1519, MMBench=67.4, SEED=70.2,
                                 MathVista=34.6, MMMU=35.8, SQA=70.1, POPE=86.5),
    "LLaVA-NeXT-Vicuna-13B": dict(GQA=65.4, VQAv2=82.8, VizWiz=60.5, TextVQA=67.1, MME=1575, MMBench=70.0, SEED=71.9,
                                  MathVista=35.3, MMMU=36.2, SQA=73.6, POPE=86.2),
    "LLaVA-NeXT-34B": dict(GQA=67.1, VQAv2=83.7, VizWiz=63.8, TextVQA=69.5, MME=1631, MMBench=79.3, SEED=75.9,
                           MathVista=46.5, MMMU=51.1, SQA=81.8, POPE=87.7),
}


def packaged_rows(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((files("eagle_eval.results") / "published" / name).read_text("utf-8"))))


def test_every_row_is_one_the_sources_print_in_their_order():
    assert [row.label for row in load_reference_rows()] == list(EXPECTED)


@pytest.mark.parametrize("label", list(EXPECTED))
def test_each_row_says_what_its_source_says(label: str):
    expected = EXPECTED[label]
    (row,) = (row for row in load_reference_rows() if row.label == label)
    assert (row.model, row.llm_as_printed, row.llm) == (expected.model, expected.llm_as_printed, expected.llm)
    assert (row.checkpoint, row.data, row.reported_by) == (expected.checkpoint, expected.data, expected.reported_by)
    for cited in expected.cites:
        assert cited in row.source, (label, cited)
    if expected.seed_heading is None:
        assert row.values["SEED"] is None and "SEED" in row.note  # an empty cell says why
    else:
        assert expected.seed_heading in IMAGE_ONLY_SEED


def test_only_the_models_trained_on_cambrian_data_say_so():
    for row in load_reference_rows():
        trained_on_it = row.model.startswith("Cambrian-1") or row.model.endswith("-Plus")
        assert (row.data == CAMBRIAN_DATA) == trained_on_it, row.label
        if row.reported_by == "Cambrian-1" and not trained_on_it:
            assert "not Cambrian-1's" in row.note or "not on Cambrian-1's" in row.note, row.label


def test_llava_15_seed_is_the_image_split_or_empty_with_the_other_split_named():
    (seven,), (thirteen,) = select_references("LLaVA-1.5-7B"), select_references("LLaVA-1.5-13B")
    assert seven.values["SEED"] is None and "58.6" in seven.note and "image and video" in seven.note
    assert thirteen.values["SEED"] == 68.2 and "SEED-IMG" in thirteen.note
    assert "61.6" in thirteen.note and "image and video" in thirteen.note


def test_one_checkpoint_is_one_model_with_each_report_naming_the_other_and_every_difference():
    rows = load_reference_rows()
    shared = {row.checkpoint for row in rows if same_checkpoint(row, rows)}
    assert shared == {"liuhaotian/llava-v1.6-vicuna-13b", "liuhaotian/llava-v1.6-34b"}
    for row in rows:
        for other in same_checkpoint(row, rows):
            assert row.reported_by != other.reported_by and other.label in row.note, row.label
            assert row.checkpoint in row.note
            differing = [c for c in PAPER_COLUMNS if None not in (row.values[c], other.values[c])
                         and row.values[c] != other.values[c]]
            assert differing, row.label
            for column in differing:
                assert column in row.note, (row.label, column)
    assert [r.label for r in select_references("liuhaotian/llava-v1.6-34b")] == [
        "LLaVA-NeXT-34B (reported by Cambrian-1)", "LLaVA-NeXT-34B"]


def test_the_printed_names_still_select_their_rows():
    assert [r.label for r in select_references("llava-next (yi-34b)")] == ["LLaVA-NeXT-34B (reported by Cambrian-1)"]
    assert [r.label for r in select_references("LLaVA-NeXT (Llama 3-8B)")] == [
        f"LLaVA-NeXT ({L8}; reported by Cambrian-1)"]
    assert len(select_references("LLaVA-NeXT")) == 3  # the README's name, one row per LLM
    assert [r.label for r in select_references(f"cambrian-1 ({Y34.lower()})")] == [f"Cambrian-1 ({Y34})"]


def test_the_comparison_numbers_are_the_model_zoos():
    for model, printed in COMPARISON_NUMBERS.items():
        (row,) = select_references(model)
        assert {c: v for c, v in row.values.items() if v is not None} == printed, model


def test_both_files_carry_the_identity_columns_and_the_package_copy_is_results_reference():
    for name in CSVS:
        packaged = (files("eagle_eval.results") / "published" / name).read_bytes()
        assert packaged == (REPO / "results" / "reference" / name).read_bytes(), name
        header = list(packaged_rows(name)[0])
        assert header[: len(IDENTITY)] == list(IDENTITY) and header[-2:] == ["source", "note"], name
