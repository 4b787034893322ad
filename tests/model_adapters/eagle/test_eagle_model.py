"""The Eagle model's structure: config.json, presets, key layout, templates, splicing, left padding."""

from __future__ import annotations

import re
from collections import OrderedDict
from pathlib import Path

import pytest
import torch

from eagle_eval.model_adapters.eagle.config import EagleConfig, EagleConfigError
from eagle_eval.model_adapters.eagle.modeling import EagleForCausalLM
from eagle_eval.model_adapters.eagle.presets import PRESETS, get_preset
from eagle_eval.model_adapters.eagle.state_dict_listing import expected_checkpoint_tensors
from eagle_eval.model_adapters.eagle.templates import (
    IMAGE_TOKEN_INDEX,
    get_template,
    place_images,
    tokenize_with_images,
)

DATA = Path(__file__).resolve().parents[2] / "goldens" / "eagle"
VICUNA_SYSTEM = ("A chat between a curious user and an artificial intelligence assistant. The assistant gives "
                 "helpful, detailed, and polite answers to the user's questions.")


# --- the state-dict listing against the key lists read from the reference implementation ---------------

def _read_pattern_list(path: Path) -> dict[str, tuple[str, int]]:
    rows = {}
    for line in path.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        key, shapes, count = line.split("\t")
        rows[key] = (shapes, int(count.strip("()x")))
    return rows


def _to_patterns(tensors: list[tuple[str, tuple[int, ...]]]) -> dict[str, tuple[str, int]]:
    """Compress keys as the shared lists do: block numbers → N (except the expert index), distinct shapes."""
    grouped: OrderedDict[str, list[tuple[int, ...]]] = OrderedDict()
    for key, shape in tensors:
        match = re.fullmatch(r"(model\.vision_tower\.vision_towers\.\d+\.)(.*)", key)
        if match:
            key = match.group(1) + re.sub(r"(?<=\.)\d+(?=\.)", "N", match.group(2))
        grouped.setdefault(key, []).append(shape)
    out = {}
    for pattern, shapes in grouped.items():
        distinct = list(OrderedDict.fromkeys(shapes))
        out[pattern] = (" | ".join(f"[{', '.join(map(str, s))}]" for s in distinct), len(shapes))
    return out


@pytest.mark.parametrize(("preset", "key_list"), [("eagle-x5-7b", "state_dict_keys_x5.txt"),
                                                   ("eagle-x4-7b", "state_dict_keys_x4.txt")])
def test_vision_and_projector_keys_match_reference_list(preset: str, key_list: str) -> None:
    reference = _read_pattern_list(DATA / key_list)
    ours = _to_patterns(expected_checkpoint_tensors(preset))
    vision = {k: v for k, v in reference.items() if k.startswith("model.vision_tower.")}
    assert {k: v for k, v in ours.items() if k.startswith("model.vision_tower.")} == vision
    # The reference list was built with a hidden-64 stand-in LLM; the 7B projector maps 7680/6656 → 4096.
    mm_hidden = 7680 if preset == "eagle-x5-7b" else 6656
    projector = {k: v for k, v in ours.items() if k.startswith("model.mm_projector.")}
    assert set(projector) == {k for k in reference if k.startswith("model.mm_projector.")}
    assert projector["model.mm_projector.0.weight"] == (f"[4096, {mm_hidden}]", 1)
    assert projector["model.mm_projector.2.weight"] == ("[4096, 4096]", 1)


def _llm_keys(preset: str) -> dict[str, tuple[int, ...]]:
    return {k: s for k, s in expected_checkpoint_tensors(preset)
            if not k.startswith(("model.vision_tower.", "model.mm_projector."))}


def test_llm_keys_are_standard_vicuna_7b() -> None:
    keys = _llm_keys("eagle-x5-7b")
    assert len([k for k in keys if k.startswith("model.layers.")]) == 32 * 9
    assert keys["model.embed_tokens.weight"] == (32000, 4096)
    assert keys["lm_head.weight"] == (32000, 4096)
    assert keys["model.layers.31.mlp.gate_proj.weight"] == (11008, 4096)
    assert keys["model.layers.0.self_attn.k_proj.weight"] == (4096, 4096)
    assert keys["model.norm.weight"] == (4096,)
    assert "model.layers.32.mlp.up_proj.weight" not in keys


def test_llm_keys_are_llama3_8b_for_x4_8b_plus() -> None:
    keys = _llm_keys("eagle-x4-8b-plus")
    assert keys["model.embed_tokens.weight"] == (128257, 4096)
    assert keys["lm_head.weight"] == (128257, 4096)
    assert keys["model.layers.0.mlp.down_proj.weight"] == (4096, 14336)
    assert keys["model.layers.0.self_attn.k_proj.weight"] == (8 * 128, 4096)  # 8 KV heads of 128
    assert len([k for k in keys if k.startswith("model.layers.")]) == 32 * 9
    projector = dict(expected_checkpoint_tensors("eagle-x4-8b-plus"))
    assert projector["model.mm_projector.0.weight"] == (4096, 6656)


def test_presets_cover_released_checkpoints_and_alias() -> None:
    released = {"eagle-x4-7b", "eagle-x5-7b", "eagle-x4-13b", "eagle-x5-13b", "eagle-x5-13b-chat",
                "eagle-x4-8b-plus", "eagle-x4-13b-plus", "eagle-x5-34b-plus", "eagle-x5-34b-chat"}
    assert released <= set(PRESETS)
    assert get_preset("eagle-x5").name == "eagle-x5-7b"
    assert get_preset("eagle-x5-34b-plus").llm.hidden_size == 7168
    assert get_preset("eagle-x5-34b-plus").template == "yi_34b_chatml_direct"
    assert get_preset("eagle-x4-13b").llm.hidden_size == 5120


# --- config.json -----------------------------------------------------------------------------------------

def test_config_json_round_trip_and_keys() -> None:
    config = get_preset("eagle-x5-7b").eagle_config()
    data = config.to_json_dict()
    assert data["model_type"] == "eagle_llama"
    assert data["architectures"] == ["EagleLlamaForCausalLM"]
    assert data["mm_vision_tower"] == "clip-448;convnext-1024;sam-1024;det-1024;pix2struct-1024"
    assert data["mm_hidden_size"] == 7680
    assert data["mm_projector_type"] == "mlp2x_gelu"
    assert data["image_aspect_ratio"] == "pad"
    assert data["mm_use_im_start_end"] is False
    back = EagleConfig.from_json_dict(data)
    assert back.llm.num_hidden_layers == 32 and back.template == "vicuna_v1"
    assert back.vision.experts == config.vision.experts


def test_config_rejects_other_model_types_and_unsupported_values() -> None:
    data = get_preset("eagle-x4-7b").eagle_config().to_json_dict()
    with pytest.raises(EagleConfigError, match="model_type"):
        EagleConfig.from_json_dict({**data, "model_type": "llava_llama"})
    with pytest.raises(EagleConfigError, match="image_aspect_ratio"):
        EagleConfig.from_json_dict({**data, "image_aspect_ratio": "anyres"})
    with pytest.raises(EagleConfigError, match="mm_hidden_size"):
        EagleConfig.from_json_dict({**data, "mm_hidden_size": 7680})


def test_template_is_read_off_the_llm() -> None:
    llama3 = EagleConfig.from_json_dict(get_preset("eagle-x4-8b-plus").eagle_config().to_json_dict())
    yi = EagleConfig.from_json_dict(get_preset("eagle-x5-34b-chat").eagle_config().to_json_dict())
    assert (llama3.template, yi.template) == ("llama3", "yi_34b_chatml_direct")


# --- templates ----------------------------------------------------------------------------------------------

def test_templates_produce_the_training_strings() -> None:
    user = place_images("What is this?", 1)
    assert user == "<image>\nWhat is this?"
    assert get_template("vicuna_v1").prompt(user) == (
        VICUNA_SYSTEM + " USER: <image>\nWhat is this? ASSISTANT:")
    assert get_template("llama3").prompt(user) == (
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n" + VICUNA_SYSTEM
        + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n<image>\nWhat is this?<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n")
    assert get_template("yi_34b_chatml_direct").prompt(user) == (
        "<|im_start|>system\nAnswer the questions.<|im_end|><|im_start|>user\n<image>\nWhat is this?"
        "<|im_end|><|im_start|>assistant\n")


def test_place_images_rules() -> None:
    assert place_images("a <image> b <image>", 2) == "a <image> b <image>"
    assert place_images("q", 2) == "<image> <image>\nq"
    assert place_images("q", 0) == "q"
    with pytest.raises(ValueError, match="placeholder"):
        place_images("a <image> b", 2)


class _CharTokenizer:
    """Adds BOS to every call and tokenizes characters: enough to check how pieces are joined."""

    bos_token_id = 1

    def __init__(self, add_bos: bool = True) -> None:
        self.add_bos = add_bos

    def encode(self, text: str) -> list[int]:
        return ([1] if self.add_bos else []) + [ord(c) for c in text]


def test_tokenize_keeps_one_bos_and_marks_each_image() -> None:
    ids = tokenize_with_images("ab<image>c<image>", _CharTokenizer())
    assert ids == [1, ord("a"), ord("b"), IMAGE_TOKEN_INDEX, ord("c"), IMAGE_TOKEN_INDEX]
    assert tokenize_with_images("a<image>b", _CharTokenizer(add_bos=False)) == [ord("a"), IMAGE_TOKEN_INDEX, ord("b")]


def test_llama3_prompt_keeps_the_double_bos() -> None:
    class Llama3Like(_CharTokenizer):
        """Adds BOS (128000) to every call; the template's own `<|begin_of_text|>` is one more 128000."""

        bos_token_id = 128000

        def encode(self, text: str) -> list[int]:
            special = "<|begin_of_text|>"
            ids = [128000] + ([128000] if text.startswith(special) else [])
            return ids + [ord(c) for c in text.removeprefix(special)]

    prompt = get_template("llama3").prompt("<image>\nq")
    ids = tokenize_with_images(prompt, Llama3Like())
    assert ids[:3] == [128000, 128000, ord("<")]
    assert ids.count(128000) == 2 and ids.count(IMAGE_TOKEN_INDEX) == 1


# --- the multimodal model (a small stand-in tower keeps this file independent of the experts) ----------

class StandInTower(torch.nn.Module):
    """Maps a [B, 3, S, S] image to [B, tokens, channels] with a learned linear map of pooled pixels."""

    def __init__(self, channels: int, grid: int) -> None:
        super().__init__()
        self.grid = grid
        self.proj = torch.nn.Linear(3, channels)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        pooled = torch.nn.functional.adaptive_avg_pool2d(pixel_values, self.grid)
        return self.proj(pooled.flatten(2).transpose(1, 2))


@pytest.fixture(scope="module")
def small_model() -> EagleForCausalLM:
    config = get_preset("eagle-tiny").eagle_config(vocab_size=100)
    torch.manual_seed(0)
    tower = StandInTower(config.mm_hidden_size, config.vision.grid_size)
    return EagleForCausalLM(config, vision_tower=tower).eval()


def test_keys_sit_where_the_checkpoint_has_them(small_model: EagleForCausalLM) -> None:
    keys = set(small_model.state_dict())
    assert {"model.embed_tokens.weight", "model.norm.weight", "lm_head.weight",
            "model.layers.1.mlp.down_proj.weight", "model.mm_projector.0.weight", "model.mm_projector.2.bias",
            "model.vision_tower.proj.weight"} <= keys
    assert not any(k.startswith("llm.") for k in keys)


def test_image_slots_take_images_in_order(small_model: EagleForCausalLM) -> None:
    images = torch.randn(3, 3, 256, 256)
    embeds = small_model.encode_images(images)
    tokens = small_model.config.image_tokens
    rows = [[1, 5, IMAGE_TOKEN_INDEX, 6], [1, IMAGE_TOKEN_INDEX, 7, IMAGE_TOKEN_INDEX]]
    inputs = small_model.build_inputs(rows, embeds)
    assert inputs.lengths == [3 + tokens, 2 + 2 * tokens]
    width = inputs.inputs_embeds.shape[1]
    row0 = inputs.inputs_embeds[0, width - (3 + tokens):]
    assert torch.equal(row0[2:2 + tokens], embeds[0])
    assert torch.equal(row0[0], small_model.model.embed_tokens.weight[1])
    row1 = inputs.inputs_embeds[1]
    assert torch.equal(row1[1:1 + tokens], embeds[1])
    assert torch.equal(row1[2 + tokens:], embeds[2])
    with pytest.raises(ValueError, match="image slot"):
        small_model.build_inputs(rows, embeds[:2])


def test_left_padding_masks_and_positions(small_model: EagleForCausalLM) -> None:
    rows = [[1, 5, 6, 7, 8, 9, 10], [1, 11, 12]]
    inputs = small_model.build_inputs(rows, None)
    assert inputs.attention_mask.tolist() == [[1] * 7, [0] * 4 + [1] * 3]
    assert inputs.position_ids[1].tolist() == [0, 0, 0, 0, 0, 1, 2]
    assert torch.count_nonzero(inputs.inputs_embeds[1, :4]) == 0


def test_padded_row_logits_equal_unpadded_run(small_model: EagleForCausalLM) -> None:
    torch.manual_seed(1)
    images = torch.randn(2, 3, 256, 256)
    rows = [[1, 20, 21, IMAGE_TOKEN_INDEX, 22, 23, 24, 25, 26, 27, 28, 29], [1, IMAGE_TOKEN_INDEX, 30]]
    batched = small_model(rows, images)
    for index, row in enumerate(rows):
        alone = small_model([row], images[index:index + 1])
        n = alone.shape[1]
        assert not torch.isnan(batched).any()
        torch.testing.assert_close(batched[index, -n:], alone[0], rtol=1e-5, atol=1e-5)
