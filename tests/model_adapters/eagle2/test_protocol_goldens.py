"""The Eagle 2 protocol against NVIDIA's own VLMEvalKit wrapper: tests/goldens/eagle2 (scripts/make_eagle2_goldens.py).

Each benchmark row of the goldens is turned into our task's request (the real task's prompt on the same
row), put under the protocol, and compared with the question, tile limit, upscaling and token budget the
wrapper handed to `model.chat`; then the tile choices and the pixel values of its `load_image`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from eagle_eval.api.registry import get_task
from eagle_eval.core.records import Doc, Request
from eagle_eval.model_adapters.eagle2.protocol import eagle2_request
from eagle_eval.model_adapters.eagle2.tiling import choose_grid, normalize, preprocess_image

GOLDENS = Path(__file__).resolve().parents[2] / "goldens" / "eagle2"
pytestmark = pytest.mark.skipif(not (GOLDENS / "goldens.json").exists(), reason="no Eagle 2 protocol goldens")

# VLMEvalKit dataset name -> (our task, the golden row as that task's row)
TASKS: dict[str, tuple[str, Any]] = {
    "MME": ("mme", lambda line: {"question": line["question"] + " Please answer yes or no."}),
    "POPE": ("pope", lambda line: {"question": line["question"]}),
    "MMMU_DEV_VAL": ("mmmu", lambda line: {
        "id": "x", "question": line["question"],
        "question_type": "multiple-choice" if "A" in line else "open",
        "options": repr([line[k] for k in "ABCD" if k in line])}),
    "ScienceQA_TEST": ("sqa", lambda line: {
        "question": line["question"], "hint": line.get("hint", ""), "choices": [line[k] for k in "ABCD" if k in line]}),
    "ChartQA_TEST": ("chartqa", lambda line: {"question": line["question"]}),
    "OCRBench": ("ocrbench", lambda line: {"question": line["question"]}),
    "GQA_TestDev_Balanced": ("gqa", lambda line: {"question": line["question"]}),
    "MathVista_MINI": ("mathvista", None),
    "TextVQA_VAL": ("textvqa_noocr", None),
    "MMBench_DEV_EN": ("mmbench", None),
}
# The three whose question body is the task's own (docs: protocol.py): only the instruction is compared.
BODY_DIFFERS = {"MathVista_MINI", "TextVQA_VAL", "MMBench_DEV_EN"}


@pytest.fixture(scope="module")
def goldens() -> dict:
    return json.loads((GOLDENS / "goldens.json").read_text())


def _mapped(goldens: dict) -> list[dict]:
    return [r for r in goldens["requests"] if r["dataset"] in TASKS]


def test_every_benchmark_we_run_is_covered(goldens: dict) -> None:
    assert {r["dataset"] for r in _mapped(goldens)} == set(TASKS)


@pytest.mark.parametrize("dataset", sorted(set(TASKS) - BODY_DIFFERS))
def test_question_sent_to_the_model_equals_theirs(goldens: dict, dataset: str) -> None:
    task_name, make_row = TASKS[dataset]
    task = get_task(task_name)
    for golden in (r for r in goldens["requests"] if r["dataset"] == dataset):
        text = task.prompt(Doc("test", 0, make_row(golden["line"])))
        # One image per placeholder (MMMU's inline ones), else the one image of the golden request.
        request = Request(task_name, "test", 0, text, [Image.new("RGB", (448, 448))] * max(1, text.count("<image>")))
        prepared = eagle2_request(request)
        assert prepared.request.text == golden["question"], dataset


@pytest.mark.parametrize("dataset", sorted(BODY_DIFFERS))
def test_instruction_equals_theirs_where_the_body_is_the_tasks(goldens: dict, dataset: str) -> None:
    task_name, _ = TASKS[dataset]
    golden = next(r for r in goldens["requests"] if r["dataset"] == dataset)
    instruction = {"MathVista_MINI": " Answer the question with a step-by-step process",
                   "TextVQA_VAL": "\nAnswer the question using a single word or phrase.",
                   "MMBench_DEV_EN": "\nAnswer with the option's letter from the given choices directly."}[dataset]
    base = {"mathvista": "What is the value of x?", "textvqa_noocr": "What is written?\nAnswer the question using "
            "a single word or phrase.", "mmbench": "Q A. cat\n\nAnswer with the option's letter from the given "
            "choices directly."}[task_name]
    prepared = eagle2_request(Request(task_name, "test", 0, base, [Image.new("RGB", (448, 448))]))
    assert instruction in golden["question"] and instruction in prepared.request.text
    assert prepared.request.text.startswith("<image>\n")


def test_tiles_upscaling_and_budget_equal_theirs(goldens: dict) -> None:
    for golden in _mapped(goldens):
        task_name, _ = TASKS[golden["dataset"]]
        prepared = eagle2_request(Request(task_name, "test", 0, _any_valid_text(task_name), []))
        assert prepared.max_tiles == golden["max_num"], golden["dataset"]
        assert prepared.request.generation.max_new_tokens == golden["generation_config"]["max_new_tokens"]
        assert prepared.request.generation.temperature == 0  # do_sample False
        image = Image.open(GOLDENS / golden["message"][-1]["value"]).convert("RGB")
        tiles = preprocess_image(image, prepared.max_tiles, 448, upscale=prepared.upscale)
        assert tiles.shape[0] == golden["num_patches_list"][0], golden["dataset"]


def _any_valid_text(task: str) -> str:
    return {"chartqa": "Q\nAnswer the question with a single word.",
            "mmmu": "Q\nAnswer the question using a single word or phrase.",
            "sqa": "Q\nA. x\nAnswer with the option's letter from the given choices directly.",
            "mmbench": "Q\nAnswer with the option's letter from the given choices directly.",
            }.get(task, "Q\nAnswer the question using a single word or phrase.")


def test_tile_choices_with_and_without_upscaling(goldens: dict) -> None:
    for row in goldens["tile_choice"]:
        width, height = (row["width"] * 2, row["height"] * 2) if row["upscale"] else (row["width"], row["height"])
        grid = choose_grid(width, height, 1, row["max_num"], row["tile_size"])
        assert grid == (row["grid_cols"], row["grid_rows"]), row


def test_pixel_values_with_and_without_upscaling(goldens: dict) -> None:
    tensors = load_file(str(GOLDENS / "tensors.safetensors"))
    for row in goldens["images"]:
        image = Image.open(GOLDENS / row["file"]).convert("RGB")
        pixels = normalize(preprocess_image(image, row["max_num"], row["input_size"], upscale=row["upscale"]))
        torch.testing.assert_close(pixels, tensors[row["tensor"]], atol=1e-6, rtol=0)
