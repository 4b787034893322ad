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
- LLaVA's LLaVA-NeXT release post (2024-01-30): LLaVA-1.5-13B SEED-IMG 68.2;
- NVlabs/Eagle README.md at commit 5d7476c0c3f0656723df7088e9cb3bd52fc2f158: the tables "Eagle2-1B
  Results", "Eagle2-2B Results" and "Eagle2-9B Results" (base models in its Model Zoo table);
- NVlabs/Eagle Eagle2_5/README.md at commit 783f656d127ee498137b5ff52603ce36c292d317: "Image
  Benchmarks" (Eagle2.5-8B; base model in "Model Details").
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
CSVS = ("eagle_readme_tables.csv", "comparison_models.csv", "eagle2_readme_tables.csv")
IDENTITY = ("table", "model", "label", "checkpoint", "llm", "llm_as_printed", "data", "reported_by")

README = "NVlabs/EAGLE README.md @fef95f1"
CAMBRIAN_TABLE_4 = "Cambrian-1 (arXiv 2406.16860) Table 4"
ZOO = "haotian-liu/LLaVA docs/MODEL_ZOO.md @c121f04"
RELEASE_POST = "llava-vl.github.io/blog/2024-01-30-llava-next"
EAGLE2_README = "NVlabs/Eagle README.md @5d7476c"
EAGLE25_README = "NVlabs/Eagle Eagle2_5/README.md @783f656"
EAGLE2_COMMIT = "5d7476c0c3f0656723df7088e9cb3bd52fc2f158"
EAGLE25_COMMIT = "783f656d127ee498137b5ff52603ce36c292d317"
Q05, Q15, Q7 = "Qwen2.5-0.5B-Instruct", "Qwen2.5-1.5B-Instruct", "Qwen2.5-7B-Instruct"
V7, V13, L8, Y34 = "vicuna-7b-v1.5", "vicuna-13b-v1.5", "Meta-Llama-3-8B-Instruct", "Nous-Hermes-2-Yi-34B"
EAGLE_DATA, CAMBRIAN_DATA = "LLaVA-1.5 pretrain + Eagle-SFT-1.8M", "Cambrian-1 data"
LLAVA_15_DATA, LLAVA_16_DATA = "LLaVA-1.5 (558K pretrain + 665K SFT)", "LLaVA-1.6"
# The column each SEED cell was read from, by its heading in the cited source; all image questions only.
IMAGE_ONLY_SEED = {"SEED(I)", "SEED-IMG", "SEED-Image"}


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
    "Eagle2-1B": Expected("Eagle2-1B", Q05, Q05, "nvidia/Eagle2-1B", "", "NVlabs/Eagle",
                          (EAGLE2_README, "Eagle2-1B Results"), None),
    "Eagle2-2B": Expected("Eagle2-2B", Q15, Q15, "nvidia/Eagle2-2B", "", "NVlabs/Eagle",
                          (EAGLE2_README, "Eagle2-2B Results"), None),
    "Eagle2-9B": Expected("Eagle2-9B", Q7, Q7, "nvidia/Eagle2-9B", "", "NVlabs/Eagle",
                          (EAGLE2_README, "Eagle2-9B Results"), "SEED-Image"),
    "Eagle2.5-8B": Expected("Eagle2.5-8B", Q7, Q7, "nvidia/Eagle2.5-8B", "", "NVlabs/Eagle",
                            (EAGLE25_README, "Image Benchmarks"), None),
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


# Eagle 2 / 2.5 as their READMEs print them, typed here from the files at the full commits above (the
# rows "TextVQA<sub>val</sub>", "ChartQA<sub>test</sub>", "OCRBench", "MME<sub>sum</sub>",
# "MathVista<sub>testmini</sub>", "MMMU<sub>val</sub>", "MMBench_V11<sub>test</sub>", "SEED-Image").
# Benchmarks a README does not print for the model are absent.
EAGLE2_NUMBERS = {
    # NVlabs/Eagle README.md @5d7476c0c3f0656723df7088e9cb3bd52fc2f158, "Eagle2-1B Results"
    "Eagle2-1B": dict(TextVQA=76.6, ChartQA=77.0, OCRBench=767, MME=1790.2, MathVista=45.3, MMMU=38.8),
    # the same file, "Eagle2-2B Results"
    "Eagle2-2B": dict(TextVQA=79.1, ChartQA=82.0, OCRBench=818, MME=2109.8, MathVista=54.7, MMMU=43.1),
    # the same file, "Eagle2-9B Results"
    "Eagle2-9B": dict(TextVQA=83.0, ChartQA=86.4, OCRBench=868, MME=2260, MMBench=80.6, SEED=77.1, MathVista=63.8,
                      MMMU=56.1),
    # NVlabs/Eagle Eagle2_5/README.md @783f656d127ee498137b5ff52603ce36c292d317, "Image Benchmarks"
    "Eagle2.5-8B": dict(TextVQA=83.7, ChartQA=87.5, OCRBench=869, MMBench=81.7, MathVista=67.8, MMMU=55.8),
}
# Published for another split or metric than our column: MME<sub>sum</sub> (perception + cognition)
# for our MME perception; MMBench_V11<sub>test</sub> for our MMBench-EN dev.
EAGLE2_NOT_COMPARABLE = {"Eagle2-1B": {"MME"}, "Eagle2-2B": {"MME"}, "Eagle2-9B": {"MME", "MMBench"},
                         "Eagle2.5-8B": {"MMBench"}}
EAGLE2_FILES = {"Eagle2-1B": (EAGLE2_COMMIT, "README.md"), "Eagle2-2B": (EAGLE2_COMMIT, "README.md"),
                "Eagle2-9B": (EAGLE2_COMMIT, "README.md"), "Eagle2.5-8B": (EAGLE25_COMMIT, "Eagle2_5/README.md")}


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


@pytest.mark.parametrize("label", list(EAGLE2_NUMBERS))
def test_the_eagle2_numbers_are_the_readmes_at_their_pinned_commits(label: str):
    (row,) = select_references(label)
    assert {c: v for c, v in row.values.items() if v is not None} == EAGLE2_NUMBERS[label]
    assert (row.source_commit, row.source_path) == EAGLE2_FILES[label]
    assert row.source_commit[:7] in row.source and len(row.source_commit) == 40


@pytest.mark.parametrize("label", list(EAGLE2_NUMBERS))
def test_eagle2_cells_of_another_split_or_metric_are_marked_not_comparable(label: str):
    (row,) = select_references(label)
    assert set(row.not_comparable) == EAGLE2_NOT_COMPARABLE[label]
    for column in row.not_comparable:
        assert row.values[column] is not None and row.comparable_value(column) is None
        assert column in row.note
    assert "MME sum" in row.not_comparable.get("MME", "MME sum")
    assert "v1.1 test" in row.not_comparable.get("MMBench", "v1.1 test")
    for column in ("TextVQA", "ChartQA", "OCRBench", "MathVista", "MMMU", "SEED"):  # the same split and metric
        assert row.comparable_value(column) == row.values[column]


def test_a_not_comparable_entry_must_name_one_of_our_columns():
    from eagle_eval.results.reference import _reference_row

    row = dict(packaged_rows("eagle2_readme_tables.csv")[0], not_comparable="DocVQA: test split")
    with pytest.raises(ValueError, match="DocVQA"):
        _reference_row(row, repeated_model=False)


@pytest.mark.parametrize(("name", "label"), [("eagle2-1b", "Eagle2-1B"), ("eagle2-2b", "Eagle2-2B"),
                                             ("eagle2-9b", "Eagle2-9B"), ("eagle2.5-8b", "Eagle2.5-8B")])
def test_a_run_of_a_native_eagle2_preset_finds_its_published_row(name: str, label: str):
    from eagle_eval.results.document import ModelRecord
    from eagle_eval.results.reference_match import own_reference

    row = own_reference(ModelRecord(name=name))
    assert row is not None and row.label == label
