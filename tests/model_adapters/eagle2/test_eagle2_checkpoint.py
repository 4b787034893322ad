"""The tiny checkpoint in the released layout, loaded back strictly; each mismatch a clear error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from eagle_eval.model_adapters.eagle2.checkpoint import (
    CheckpointError,
    checkpoint_state_dict,
    expected_checkpoint_tensors,
    load_eagle2,
)
from eagle_eval.model_adapters.eagle2.config import (
    Eagle2Config,
    Eagle2ConfigError,
    Eagle2FormatNotImplemented,
)
from eagle_eval.model_adapters.eagle2.presets import PRESETS, get_preset
from eagle_eval.model_adapters.eagle2.tiny import write_tiny_checkpoint


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_checkpoint(tmp_path_factory.mktemp("eagle2-tiny"))


def _copy(tiny_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "ckpt"
    shutil.copytree(tiny_dir, target)
    return target


def _merge_into_one_file(directory: Path) -> dict[str, torch.Tensor]:
    """Every tensor of the checkpoint, rewritten as one model.safetensors the test can edit."""
    state: dict[str, torch.Tensor] = {}
    for shard in sorted(directory.glob("model-*.safetensors")):
        state.update(load_file(str(shard)))
        shard.unlink()
    (directory / "model.safetensors.index.json").unlink()
    return state


def _save(directory: Path, state: dict[str, torch.Tensor]) -> None:
    save_file({k: v.contiguous() for k, v in state.items()}, str(directory / "model.safetensors"))


def test_layout_and_keys_are_the_released_ones(tiny_dir: Path) -> None:
    names = {p.name for p in tiny_dir.iterdir()}
    assert {"config.json", "model.safetensors.index.json", "tokenizer.json", "tokenizer_config.json",
            "generation_config.json"} <= names
    assert len([n for n in names if n.startswith("model-")]) >= 2
    config = json.loads((tiny_dir / "config.json").read_text())
    assert config["model_type"] == "eagle_2_5_vl"
    assert config["architectures"] == ["Eagle2_5_VLForConditionalGeneration"]
    assert config["vision_config"]["model_type"] == "siglip_vision_model"
    assert config["text_config"]["architectures"] == ["Qwen2ForCausalLM"]
    keys = json.loads((tiny_dir / "model.safetensors.index.json").read_text())["weight_map"]
    assert "vision_model.vision_model.embeddings.patch_embedding.weight" in keys
    assert "vision_model.vision_model.encoder.layers.3.mlp.fc2.weight" in keys
    assert "language_model.model.layers.1.self_attn.q_proj.bias" in keys
    assert "language_model.lm_head.weight" in keys
    assert {k for k in keys if k.startswith("mlp1.")} == {f"mlp1.{i}.{p}" for i in (0, 1, 3) for p in ("weight", "bias")}
    assert all(k.startswith(("vision_model.vision_model.", "language_model.", "mlp1.")) for k in keys)


def test_round_trip_gives_identical_logits(tiny_dir: Path) -> None:
    from eagle_eval.model_adapters.eagle2.modeling import Eagle2Model

    loaded = load_eagle2(tiny_dir, device="cpu")
    config = Eagle2Config.from_file(tiny_dir / "config.json")
    torch.manual_seed(20250416)
    original = Eagle2Model(config).eval()
    index = config.image_token_index
    rows = [[3, 4, index, index, index, index, 9]]
    pixels = torch.randn(1, 3, 28, 28)
    torch.testing.assert_close(loaded.model(rows, pixels), original(rows, pixels), atol=0, rtol=0)
    state = checkpoint_state_dict(loaded.model)
    assert set(state) == set(json.loads((tiny_dir / "model.safetensors.index.json").read_text())["weight_map"])


def test_missing_key_fails_naming_it_and_the_fix(tiny_dir: Path, tmp_path: Path) -> None:
    directory = _copy(tiny_dir, tmp_path)
    state = _merge_into_one_file(directory)
    del state["mlp1.1.weight"]
    _save(directory, state)
    with pytest.raises(CheckpointError, match=r"1 missing key\(s\).*mlp1\.1\.weight.*Fix:"):
        load_eagle2(directory, device="cpu")


def test_extra_key_fails_naming_it(tiny_dir: Path, tmp_path: Path) -> None:
    directory = _copy(tiny_dir, tmp_path)
    state = _merge_into_one_file(directory)
    state["vision_model.vision_model.encoder.layers.9.mlp.fc1.weight"] = torch.zeros(2, 2)
    _save(directory, state)
    with pytest.raises(CheckpointError, match=r"1 unexpected key\(s\).*encoder\.layers\.9\.mlp\.fc1\.weight"):
        load_eagle2(directory, device="cpu")


def test_renamed_key_fails_naming_both(tiny_dir: Path, tmp_path: Path) -> None:
    directory = _copy(tiny_dir, tmp_path)
    state = _merge_into_one_file(directory)
    state["vision_model.embeddings.patch_embedding.weight"] = state.pop(
        "vision_model.vision_model.embeddings.patch_embedding.weight")
    _save(directory, state)
    with pytest.raises(CheckpointError) as error:
        load_eagle2(directory, device="cpu")
    assert "unexpected key(s) (in the checkpoint, not in the model): vision_model.embeddings.patch_embedding" in str(
        error.value)
    assert "missing key(s) (in the model, not in the checkpoint): vision_model.vision_model.embeddings" in str(
        error.value)


def test_wrong_shape_fails_naming_key_and_both_shapes(tiny_dir: Path, tmp_path: Path) -> None:
    directory = _copy(tiny_dir, tmp_path)
    state = _merge_into_one_file(directory)
    state["mlp1.3.weight"] = torch.zeros(64, 32)
    _save(directory, state)
    with pytest.raises(CheckpointError, match=r"mlp1\.3\.weight: checkpoint \[64, 32\] vs model \[64, 64\]"):
        load_eagle2(directory, device="cpu")


def test_tied_embeddings_may_omit_the_head_but_must_agree(tiny_dir: Path, tmp_path: Path) -> None:
    directory = _copy(tiny_dir, tmp_path)
    config = json.loads((directory / "config.json").read_text())
    config["text_config"]["tie_word_embeddings"] = True
    (directory / "config.json").write_text(json.dumps(config))
    state = _merge_into_one_file(directory)
    head = state.pop("language_model.lm_head.weight")
    _save(directory, state)
    loaded = load_eagle2(directory, device="cpu")
    lm = loaded.model.language_model
    assert lm.lm_head.weight is lm.model.embed_tokens.weight
    state["language_model.lm_head.weight"] = head  # differs from the embeddings: an error
    _save(directory, state)
    with pytest.raises(CheckpointError, match="tie_word_embeddings"):
        load_eagle2(directory, device="cpu")


def test_tokenizer_and_config_must_agree_on_the_image_token(tiny_dir: Path, tmp_path: Path) -> None:
    directory = _copy(tiny_dir, tmp_path)
    config = json.loads((directory / "config.json").read_text())
    config["image_token_index"] = 7
    (directory / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="<IMG_CONTEXT>"):
        load_eagle2(directory, device="cpu")


def test_config_errors_name_the_value() -> None:
    base = get_preset("eagle2.5-tiny").config_dict(vocab_size=64, image_token_index=5)
    with pytest.raises(Eagle2ConfigError, match="model_type is 'eagle_llama'"):
        Eagle2Config.from_json_dict({**base, "model_type": "eagle_llama"})
    with pytest.raises(Eagle2ConfigError, match="mlp_connector_layers=1"):
        Eagle2Config.from_json_dict({**base, "mlp_connector_layers": 1})
    with pytest.raises(Eagle2ConfigError, match="intern_vit_6b"):
        Eagle2Config.from_json_dict({**base, "vision_config": {"model_type": "intern_vit_6b"}})
    with pytest.raises(Eagle2ConfigError, match="template"):
        Eagle2Config.from_json_dict({**base, "template": "vicuna_v1"})


def test_the_original_eagle2_format_is_refused_by_the_eagle2_5_reader_naming_its_own() -> None:
    with pytest.raises(Eagle2FormatNotImplemented, match="chat_format.Eagle2ChatConfig"):
        Eagle2Config.from_json_dict({"model_type": "eagle_chat"})


def test_released_presets_list_their_tensors_offline() -> None:
    tensors = dict(expected_checkpoint_tensors(get_preset("eagle2.5-8b").eagle2_config()))
    assert tensors["mlp1.0.weight"] == (1152 * 4,)
    assert tensors["mlp1.1.weight"] == (3584, 1152 * 4)
    assert tensors["vision_model.vision_model.embeddings.patch_embedding.weight"] == (1152, 3, 16, 16)
    assert tensors["language_model.lm_head.weight"] == (152064, 3584)
    small = dict(expected_checkpoint_tensors(get_preset("eagle2-1b").eagle2_config()))
    assert "language_model.lm_head.weight" not in small  # tied to the embeddings, as save_pretrained stores it
    assert small["vision_model.vision_model.embeddings.patch_embedding.weight"] == (1152, 3, 14, 14)
    for name in ("eagle2-1b", "eagle2-2b", "eagle2.5-8b"):
        assert get_preset(name).eagle2_config().tokens_per_tile == 256
    assert set(PRESETS) >= {"eagle2-1b", "eagle2-2b", "eagle2-9b", "eagle2.5-8b"}


def test_a_siglip2_vision_config_builds_siglip2_and_loads_strictly(tiny_dir: Path, tmp_path: Path) -> None:
    from eagle_eval.model_adapters.eagle2.modeling import Eagle2Model

    directory = _copy(tiny_dir, tmp_path)
    config_json = json.loads((directory / "config.json").read_text())
    vision = config_json["vision_config"]
    config_json["vision_config"] = {"model_type": "siglip2_vision_model", "num_patches": 16,
                                    **{k: vision[k] for k in ("hidden_size", "intermediate_size", "num_hidden_layers",
                                                              "num_attention_heads", "patch_size")}}
    config_json["force_image_size"] = 28
    (directory / "config.json").write_text(json.dumps(config_json))
    config = Eagle2Config.from_file(directory / "config.json")
    assert type(Eagle2Model(config).vision_model).__name__ == "Siglip2VisionModel"
    torch.manual_seed(3)
    model = Eagle2Model(config).eval()
    _merge_into_one_file(directory)
    _save(directory, checkpoint_state_dict(model))
    loaded = load_eagle2(directory, device="cpu")
    pixels = torch.randn(2, 3, 28, 28)
    features = loaded.model.vision_features(pixels)
    assert features.shape == (2, 16, 32)
    torch.testing.assert_close(features, model.vision_features(pixels), atol=0, rtol=0)
    assert loaded.model.encode_tiles(pixels).shape == (2, 4, 64)
