"""Our Eagle 2.5 adapter against NVIDIA's own code: tests/goldens/eagle2_5 (scripts/make_eagle2_5_goldens.py).

Every field of goldens.json is compared: tile choices, pixel values, the selected vision layer, the pixel
shuffle, the connector's output, prompt strings and ids, the last prompt logits, and the greedy tokens and
answers, with the golden tiny checkpoint loaded by our strict loader (features to 1e-4, ids exactly).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from eagle_eval.core.records import GenerationSettings, Request
from eagle_eval.model_adapters.eagle2.adapter import Eagle2Adapter, Eagle2Settings
from eagle_eval.model_adapters.eagle2.checkpoint import LoadedEagle2, load_eagle2
from eagle_eval.model_adapters.eagle2.templates import prompt_text
from eagle_eval.model_adapters.eagle2.tiling import choose_grid, normalize, preprocess_image

GOLDENS = Path(__file__).resolve().parents[2] / "goldens" / "eagle2_5"
TOLERANCE = 1e-4

pytestmark = pytest.mark.skipif(not (GOLDENS / "goldens.json").exists(), reason="no Eagle 2.5 goldens")


@pytest.fixture(scope="module")
def goldens() -> dict:
    return json.loads((GOLDENS / "goldens.json").read_text())


@pytest.fixture(scope="module")
def tensors() -> dict[str, torch.Tensor]:
    return load_file(str(GOLDENS / "tensors.safetensors"))


@pytest.fixture(scope="module")
def loaded() -> LoadedEagle2:
    return load_eagle2(GOLDENS / "tiny-checkpoint", device="cpu", dtype=torch.float32)


def _image(goldens: dict, name: str) -> Image.Image:
    row = next(r for r in goldens["images"] if r["name"] == name)
    return Image.open(GOLDENS / row["file"]).convert("RGB")


def test_config_and_tokenizer_are_read_as_theirs(goldens: dict, loaded: LoadedEagle2) -> None:
    config = loaded.config
    model = goldens["model"]
    assert config.tokens_per_tile == model["num_image_token"]
    assert (config.select_layer, config.downsample_ratio) == (model["select_layer"], model["downsample_ratio"])
    assert (config.tile_size, config.patch_size) == (model["image_size"], model["patch_size"])
    assert sum(p.numel() for p in loaded.model.parameters()) == model["parameters"]
    tokenizer = goldens["tokenizer"]
    assert config.image_token_index == tokenizer["image_token_index"]
    assert loaded.eos_token_ids == [tokenizer["chat_eos_id"]]
    assert len(loaded.tokenizer) == tokenizer["len"] == loaded.config.text.vocab_size
    for token, token_id in tokenizer["special_token_ids"].items():
        assert loaded.tokenizer.convert_tokens_to_ids(token) == token_id, token
    assert (loaded.tokenizer.eos_token, loaded.tokenizer.pad_token) == (tokenizer["eos_token"], tokenizer["pad_token"])
    assert loaded.tokenizer("a b")["input_ids"][0] != tokenizer["special_token_ids"]["<|endoftext|>"]  # no BOS
    from eagle_eval.model_adapters.eagle2.templates import SYSTEM_MESSAGE
    from eagle_eval.model_adapters.eagle2.tiling import SIGLIP_MEAN, SIGLIP_STD

    assert goldens["meta"]["system_message"] == SYSTEM_MESSAGE and config.template == goldens["meta"]["template"]
    assert goldens["preprocess"]["mean"] == [SIGLIP_MEAN] * 3 and goldens["preprocess"]["std"] == [SIGLIP_STD] * 3


def test_tile_choices(goldens: dict) -> None:
    for row in goldens["tile_choice"]:
        grid = choose_grid(row["width"], row["height"], row["min_num"], row["max_num"], row["tile_size"])
        assert grid == (row["grid_cols"], row["grid_rows"]), row
        tiles = grid[0] * grid[1] + (1 if row["use_thumbnail"] and grid[0] * grid[1] > 1 else 0)
        assert tiles == row["num_tiles"], row


def test_pixels_features_shuffle_and_projection(goldens: dict, tensors: dict, loaded: LoadedEagle2) -> None:
    config = loaded.config
    for row in goldens["images"]:
        name = row["name"]
        assert choose_grid(row["width"], row["height"], 1, 12, config.tile_size) == (row["grid_cols"], row["grid_rows"])
        pixels = normalize(preprocess_image(_image(goldens, name), 12, config.tile_size, 1, True, upscale=False))
        assert pixels.shape[0] == row["num_tiles"] and list(pixels.shape) == row["shapes"]["pixel_values"]
        torch.testing.assert_close(pixels, tensors[f"{name}.pixel_values"], atol=TOLERANCE, rtol=0)
        features = loaded.model.vision_features(tensors[f"{name}.pixel_values"])
        torch.testing.assert_close(features, tensors[f"{name}.vit_selected"], atol=TOLERANCE, rtol=0)
        from eagle_eval.model_adapters.eagle2.modeling import pixel_shuffle

        shuffled = pixel_shuffle(tensors[f"{name}.vit_selected"], config.scale)
        torch.testing.assert_close(shuffled, tensors[f"{name}.pixel_shuffled"], atol=TOLERANCE, rtol=0)
        projected = loaded.model.project(tensors[f"{name}.vit_selected"])
        torch.testing.assert_close(projected, tensors[f"{name}.mlp1"], atol=TOLERANCE, rtol=0)


def _request(prompt: dict, goldens: dict, max_new_tokens: int) -> Request:
    return Request("golden", "test", 0, prompt["question"], [_image(goldens, prompt["image"])],
                   GenerationSettings(max_new_tokens=max_new_tokens))


def test_prompt_strings_and_ids(goldens: dict, loaded: LoadedEagle2) -> None:
    adapter = Eagle2Adapter("golden", loaded, settings=Eagle2Settings(protocol="task"))
    adapter.config.max_dynamic_tiles = 12
    for prompt in goldens["prompts"]:
        row = adapter.prepare(_request(prompt, goldens, 8))
        assert row.tiles is not None and row.tiles.shape[0] == prompt["num_tiles"]
        text = prompt_text(prompt["question"], [prompt["num_tiles"]], loaded.config.tokens_per_tile)
        assert text == prompt["prompt"]
        assert row.ids == prompt["input_ids"]
        assert row.ids.count(loaded.config.image_token_index) == prompt["image_tokens"]


def test_last_logits_and_greedy_tokens(goldens: dict, tensors: dict, loaded: LoadedEagle2) -> None:
    adapter = Eagle2Adapter("golden", loaded, settings=Eagle2Settings(protocol="task", batch_size=1))
    for prompt in goldens["prompts"]:
        request = _request(prompt, goldens, len(prompt["generated_ids"]))
        row = adapter.prepare(request)
        logits = loaded.model([row.ids], normalize(row.tiles))[0, -1]
        torch.testing.assert_close(logits, tensors[prompt["last_logits"]], atol=TOLERANCE, rtol=0)
        assert adapter.generate([request]) == [prompt["response"]]
        stats = adapter.last_call_stats()
        assert stats is not None and stats.tokens_generated == len(prompt["generated_ids"])


def test_greedy_ids_equal_theirs(goldens: dict, loaded: LoadedEagle2) -> None:
    from eagle_eval.generation.decoding import RowSpec
    from eagle_eval.model_adapters.eagle.generation import greedy_generate

    adapter = Eagle2Adapter("golden", loaded, settings=Eagle2Settings(protocol="task"))
    for prompt in goldens["prompts"]:
        request = _request(prompt, goldens, len(prompt["generated_ids"]))
        row = adapter.prepare(request)
        inputs = loaded.model.build_inputs([row.ids], adapter.encode([row.tiles]))
        result = greedy_generate(loaded.model, loaded.tokenizer, inputs,  # type: ignore[arg-type]
                                 [RowSpec.of(request.generation)], loaded.eos_token_ids)
        assert result.token_ids[0] == prompt["generated_ids"]
