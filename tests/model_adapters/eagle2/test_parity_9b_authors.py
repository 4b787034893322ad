"""The Eagle2-9B format (SigLIP + ConvNeXt, chat_format.py) against NVIDIA's code: tests/goldens/eagle2_9b
(scripts/make_eagle2_9b_goldens.py).

Every field of goldens.json is compared: each tower's input (the resize to the ConvNeXt size and the SigLIP→CLIP
renormalisation), each tower's features, the pixel shuffle, the concatenation, mlp1, the pixel values of our
tiling, prompt ids, the last prompt logits and the greedy ids and answers (features to 1e-4, ids exactly); then
batch invariance and the strict loader's errors.

The golden config.json is theirs as saved: it names ConvNeXt-XXL (their run-time patch made it tiny), so the
tests load a copy whose vision_config also says `convnext_config` (the tiny depths and widths); the unmodified
file must be refused for its shapes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from PIL import Image
from safetensors.torch import load_file, save_file

from eagle_eval.core.records import GenerationSettings, Request
from eagle_eval.model_adapters.eagle2.adapter import Eagle2Adapter, Eagle2Settings
from eagle_eval.model_adapters.eagle2.chat_format import (
    CONVNEXT,
    SIGLIP,
    Eagle2ChatConfig,
    resized,
    siglip_to_clip,
)
from eagle_eval.model_adapters.eagle2.checkpoint import CheckpointError, LoadedEagle2, load_eagle2
from eagle_eval.model_adapters.eagle2.config import Eagle2ConfigError
from eagle_eval.model_adapters.eagle2.modeling import pixel_shuffle
from eagle_eval.model_adapters.eagle2.tiling import choose_grid, normalize, preprocess_image

GOLDENS = Path(__file__).resolve().parents[2] / "goldens" / "eagle2_9b"
TOLERANCE = 1e-4
NEW_TOKENS = 8  # what the generator asked their chat() for

pytestmark = pytest.mark.skipif(not (GOLDENS / "goldens.json").exists(), reason="no Eagle2-9B goldens")


@pytest.fixture(scope="module")
def goldens() -> dict:
    return json.loads((GOLDENS / "goldens.json").read_text())


@pytest.fixture(scope="module")
def tensors() -> dict[str, torch.Tensor]:
    return load_file(str(GOLDENS / "tensors.safetensors"))


def _copy(goldens: dict, target: Path, sizes: bool = True) -> Path:
    shutil.copytree(GOLDENS / "tiny-checkpoint", target)
    if sizes:
        config = json.loads((target / "config.json").read_text())
        convnext = goldens["model"]["convnext"]
        config["vision_config"]["convnext_config"] = {"depths": convnext["depths"], "dims": convnext["dims"]}
        (target / "config.json").write_text(json.dumps(config))
    return target


@pytest.fixture(scope="module")
def loaded(goldens: dict, tmp_path_factory: pytest.TempPathFactory) -> LoadedEagle2:
    directory = _copy(goldens, tmp_path_factory.mktemp("eagle2_9b") / "checkpoint")
    return load_eagle2(directory, device="cpu", dtype=torch.float32, released_preset=False)


def _image(goldens: dict, name: str) -> Image.Image:
    row = next(r for r in goldens["images"] if r["name"] == name)
    return Image.open(GOLDENS / row["file"]).convert("RGB")


def test_config_and_tokenizer_are_read_as_theirs(goldens: dict, loaded: LoadedEagle2) -> None:
    config = loaded.config
    assert isinstance(config, Eagle2ChatConfig)
    model = goldens["model"]
    assert config.towers == (CONVNEXT, SIGLIP)
    assert config.vision_type == goldens["tiny_config"]["vision_config"]["vision_path"]
    assert config.tokens_per_tile == model["num_image_token"]
    assert (config.tile_size, config.patch_size, config.convnext_size) == (model["tile"], model["siglip_patch"],
                                                                          model["convnext_size"])
    assert config.projector_input_size == model["mlp1_input"]
    assert config.convnext.num_classes == model["convnext"]["num_classes"]  # read from the stored head
    assert sum(p.numel() for p in loaded.model.parameters()) == model["parameters"]
    tokenizer = goldens["tokenizer"]
    assert config.image_token_index == tokenizer["image_context_id"]
    assert len(loaded.tokenizer) == tokenizer["len"]
    assert (config.max_dynamic_tiles, config.use_thumbnail, config.template) == (6, True, goldens["meta"]["template"])


def test_every_stored_key_is_a_released_name(goldens: dict, loaded: LoadedEagle2) -> None:
    from eagle_eval.model_adapters.eagle2.checkpoint import checkpoint_state_dict

    assert sorted(checkpoint_state_dict(loaded.model)) == goldens["checkpoint_keys"]


def test_pixels_and_tower_inputs(goldens: dict, tensors: dict, loaded: LoadedEagle2) -> None:
    config = loaded.config
    assert isinstance(config, Eagle2ChatConfig)
    for row in goldens["images"]:
        name = row["name"]
        grid = choose_grid(row["width"], row["height"], 1, config.max_dynamic_tiles, config.tile_size)
        assert grid == (row["grid_cols"], row["grid_rows"])
        pixels = normalize(preprocess_image(_image(goldens, name), config.max_dynamic_tiles, config.tile_size))
        torch.testing.assert_close(pixels, tensors[f"{name}.pixel_values"], atol=TOLERANCE, rtol=0)
        theirs = tensors[f"{name}.pixel_values"]
        torch.testing.assert_close(resized(theirs, config.siglip_size), tensors[f"{name}.siglip.pixel_values"],
                                   atol=0, rtol=0)
        convnext = resized(theirs, config.convnext_size)
        torch.testing.assert_close(convnext, tensors[f"{name}.convnext.pixel_values"], atol=1e-6, rtol=0)
        torch.testing.assert_close(siglip_to_clip(tensors[f"{name}.convnext.pixel_values"]),
                                   tensors[f"{name}.convnext.clip_normalized"], atol=1e-6, rtol=0)


def test_tower_features_shuffle_concat_and_projection(goldens: dict, tensors: dict, loaded: LoadedEagle2) -> None:
    model = loaded.model
    for row in goldens["images"]:
        name = row["name"]
        pixels = tensors[f"{name}.pixel_values"]
        towers = model.tower_outputs(pixels)  # type: ignore[attr-defined]
        torch.testing.assert_close(towers[SIGLIP], tensors[f"{name}.siglip.features"], atol=TOLERANCE, rtol=0)
        torch.testing.assert_close(towers[CONVNEXT], tensors[f"{name}.convnext.features"], atol=TOLERANCE, rtol=0)
        shuffled = pixel_shuffle(tensors[f"{name}.siglip.features"], loaded.config.scale)
        torch.testing.assert_close(shuffled, tensors[f"{name}.pixel_shuffled"], atol=0, rtol=0)
        features = model.vision_features(pixels)
        torch.testing.assert_close(features, tensors[f"{name}.concatenated"], atol=TOLERANCE, rtol=0)
        torch.testing.assert_close(model.project(tensors[f"{name}.concatenated"]), tensors[f"{name}.mlp1"],
                                   atol=TOLERANCE, rtol=0)
        torch.testing.assert_close(model.encode_tiles(pixels), tensors[f"{name}.mlp1"], atol=TOLERANCE, rtol=0)


def _request(prompt: dict, goldens: dict) -> Request:
    return Request("golden", "test", 0, prompt["question"], [_image(goldens, prompt["image"])],
                   GenerationSettings(max_new_tokens=NEW_TOKENS))


def test_prompt_ids_logits_and_greedy_answers(goldens: dict, tensors: dict, loaded: LoadedEagle2) -> None:
    adapter = Eagle2Adapter("golden", loaded, settings=Eagle2Settings(protocol="task", batch_size=1))
    for prompt in goldens["prompts"]:
        request = _request(prompt, goldens)
        row = adapter.prepare(request)
        assert row.tiles is not None and row.tiles.shape[0] == prompt["num_tiles"]
        assert row.ids == prompt["input_ids"]
        assert row.ids.count(loaded.config.image_token_index) == prompt["image_tokens"]
        logits = loaded.model([row.ids], normalize(row.tiles))[0, -1]
        torch.testing.assert_close(logits, tensors[prompt["last_logits"]], atol=TOLERANCE, rtol=0)
        assert adapter.generate([request]) == [prompt["response"]]


def test_greedy_ids_equal_theirs(goldens: dict, loaded: LoadedEagle2) -> None:
    from eagle_eval.generation.decoding import RowSpec
    from eagle_eval.model_adapters.eagle.generation import greedy_generate

    adapter = Eagle2Adapter("golden", loaded, settings=Eagle2Settings(protocol="task"))
    for prompt in goldens["prompts"]:
        request = _request(prompt, goldens)
        row = adapter.prepare(request)
        inputs = loaded.model.build_inputs([row.ids], adapter.encode([row.tiles]))
        result = greedy_generate(loaded.model, loaded.tokenizer, inputs,  # type: ignore[arg-type]
                                 [RowSpec.of(request.generation)], loaded.eos_token_ids)
        theirs = prompt["generated_ids"]
        if len(theirs) < NEW_TOKENS:  # stopped: their generate() keeps the stop token, our loop does not
            assert theirs[-1] in loaded.eos_token_ids
            theirs = theirs[:-1]
        assert result.token_ids[0] == theirs


def test_batch_of_four_equals_one_at_a_time(goldens: dict, tensors: dict, loaded: LoadedEagle2) -> None:
    tiles = torch.cat([tensors[f"{row['name']}.pixel_values"] for row in goldens["images"]])[:4]
    together = loaded.model.encode_tiles(tiles)
    alone = torch.cat([loaded.model.encode_tiles(tiles[i:i + 1]) for i in range(4)])
    torch.testing.assert_close(together, alone, atol=1e-5, rtol=0)
    requests = [_request(p, goldens) for p in goldens["prompts"]]
    assert len(requests) == 4
    batched = Eagle2Adapter("golden", loaded, settings=Eagle2Settings(protocol="task", batch_size=4))
    single = Eagle2Adapter("golden", loaded, settings=Eagle2Settings(protocol="task", batch_size=1))
    answers = batched.generate(requests)
    assert answers == [single.generate([r])[0] for r in requests] == [p["response"] for p in goldens["prompts"]]


def test_released_config_without_tiny_sizes_is_refused_for_its_shapes(goldens: dict, tmp_path: Path) -> None:
    directory = _copy(goldens, tmp_path / "checkpoint", sizes=False)  # names ConvNeXt-XXL, stores a tiny one
    with pytest.raises(CheckpointError, match=r"shape mismatch\(es\): mlp1.0.bias: checkpoint \[160\] vs model \[3200\]"):
        load_eagle2(directory, device="cpu", dtype=torch.float32, released_preset=False)


def _rewrite_weights(directory: Path, change) -> None:
    path = directory / "model.safetensors"
    state = load_file(str(path))
    change(state)
    save_file(state, str(path), metadata={"format": "pt"})


def test_renamed_and_missing_keys_are_named(goldens: dict, tmp_path: Path) -> None:
    directory = _copy(goldens, tmp_path / "checkpoint")
    released = "vision_model.vision_model.vision_towers.1.vision_tower.vision_model.post_layernorm.weight"
    ours = "vision_model.vision_model.vision_towers.1.vision_tower.post_layernorm.weight"
    scale = "vision_model.vision_model.vision_towers.0.vision_tower.stages.0.blocks.0.weight"

    def change(state: dict) -> None:
        state[ours] = state.pop(released)  # our module's SigLIP naming, not the released nesting
        state[scale.replace(".weight", ".gamma")] = state.pop(scale)  # timm's layer-scale name
        del state["mlp1.0.bias"]

    _rewrite_weights(directory, change)
    with pytest.raises(CheckpointError) as error:
        load_eagle2(directory, device="cpu", dtype=torch.float32, released_preset=False)
    message = str(error.value)
    assert "2 unexpected key(s)" in message and ours in message and "blocks.0.gamma" in message
    assert "3 missing key(s)" in message and released in message and scale in message and "mlp1.0.bias" in message


@pytest.mark.parametrize(("path", "value", "match"), [
    (("vision_config", "moe_version_type"), "seq_concat", "moe_version_type 'seq_concat' is not implemented"),
    (("vision_config", "vision_path"), "MOB:convnext-1024", "vision_path 'MOB:convnext-1024' is not implemented"),
    (("vision_config", "convnext_img_size"), 96, "disagree on tokens per tile"),
    (("select_layer",), -2, "select_layer -2 is not implemented"),
])
def test_configs_we_do_not_run_are_refused(goldens: dict, tmp_path: Path, path: tuple, value, match: str) -> None:
    directory = _copy(goldens, tmp_path / "checkpoint")
    config = json.loads((directory / "config.json").read_text())
    target = config
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    (directory / "config.json").write_text(json.dumps(config))
    with pytest.raises(Eagle2ConfigError, match=match):
        load_eagle2(directory, device="cpu", dtype=torch.float32, released_preset=False)


def test_the_registered_9b_entry_loads_a_local_checkpoint_and_answers_as_theirs(goldens: dict, tmp_path: Path) -> None:
    from eagle_eval.api.registry import ModelOptions, get_model_entry

    directory = _copy(goldens, tmp_path / "checkpoint")
    adapter = get_model_entry("eagle2-9b").factory(ModelOptions(
        device="cpu", dtype="float32", model_path=str(directory), extra={"protocol": "task"}))
    prompt = goldens["prompts"][0]
    assert adapter.generate([_request(prompt, goldens)]) == [prompt["response"]]
