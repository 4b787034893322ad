"""Loading Eagle checkpoints: the released layout, strictness, and identical logits after a round trip."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from eagle_eval.model_adapters.eagle.checkpoint import CheckpointError, load_eagle
from eagle_eval.model_adapters.eagle.modeling import EagleForCausalLM
from eagle_eval.model_adapters.eagle.presets import get_preset
from eagle_eval.model_adapters.eagle.templates import IMAGE_TOKEN_INDEX
from eagle_eval.model_adapters.eagle.tiny import TINY_SEED, write_tiny_checkpoint


@pytest.fixture(scope="module")
def tiny_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("eagle-ckpt")
    return {name: write_tiny_checkpoint(root / name, name) for name in ("eagle-tiny", "eagle-tiny-x4")}


def _copy(directory: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(directory, target)
    return target


def test_layout_matches_the_released_repositories(tiny_dirs: dict[str, Path]) -> None:
    directory = tiny_dirs["eagle-tiny"]
    index = json.loads((directory / "model.safetensors.index.json").read_text())
    shards = sorted(set(index["weight_map"].values()))
    assert len(shards) >= 2 and all((directory / s).exists() for s in shards)
    assert index["metadata"]["total_size"] > 0
    config = json.loads((directory / "config.json").read_text())
    assert config["model_type"] == "eagle_llama"
    assert config["architectures"] == ["EagleLlamaForCausalLM"]
    assert config["mm_vision_tower"] == "clip-448;convnext-1024;sam-1024;det-1024;pix2struct-1024"
    assert config["mm_projector_type"] == "mlp2x_gelu" and config["mm_use_im_start_end"] is False
    for name in ("tokenizer.model", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json"):
        assert (directory / name).exists(), name
    keys = set(index["weight_map"])
    # ConvNeXt's layer scale is stored as `weight`, as in the released shards; the unused head is stored too.
    assert "model.vision_tower.vision_towers.1.vision_tower.stages.0.blocks.0.weight" in keys
    assert "model.vision_tower.vision_towers.1.vision_tower.head.fc.weight" in keys
    assert not any(k.endswith(".gamma") for k in keys)
    assert {"lm_head.weight", "model.embed_tokens.weight", "model.mm_projector.2.bias"} <= keys


def test_tiny_checkpoint_is_deterministic(tiny_dirs: dict[str, Path], tmp_path: Path) -> None:
    again = write_tiny_checkpoint(tmp_path / "again", "eagle-tiny")
    first = tiny_dirs["eagle-tiny"]
    assert (again / "tokenizer.model").read_bytes() == (first / "tokenizer.model").read_bytes()
    name = sorted(p.name for p in first.glob("*.safetensors"))[0]
    a, b = load_file(str(first / name)), load_file(str(again / name))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_tokenizer_matches_vicuna_conventions(tiny_dirs: dict[str, Path]) -> None:
    loaded = load_eagle(tiny_dirs["eagle-tiny"], device="cpu")
    tokenizer = loaded.tokenizer
    assert (tokenizer.unk_token_id, tokenizer.bos_token_id, tokenizer.eos_token_id) == (0, 1, 2)
    assert tokenizer.pad_token_id == 0
    assert loaded.eos_token_ids == [2]
    ids = tokenizer("\nWhat").input_ids
    # The sentencepiece prefix space stands alone before a newline (Vicuna's 29871, 13).
    assert tokenizer.convert_ids_to_tokens(ids[1:3]) == ["▁", "<0x0A>"]


@pytest.mark.parametrize("name", ["eagle-tiny", "eagle-tiny-x4"])
def test_round_trip_gives_identical_logits(tiny_dirs: dict[str, Path], name: str) -> None:
    directory = tiny_dirs[name]
    loaded = load_eagle(directory, device="cpu")
    assert loaded.dtype == torch.float32
    vocab = loaded.config.llm.vocab_size
    torch.manual_seed(TINY_SEED)
    reference = EagleForCausalLM(get_preset(name).eagle_config(vocab_size=vocab)).eval()
    torch.manual_seed(3)
    size = loaded.config.vision.image_size
    images = torch.randn(2, 3, size, size)
    rows = [[1, 40, IMAGE_TOKEN_INDEX, 41, 42], [1, IMAGE_TOKEN_INDEX, 43]]
    torch.testing.assert_close(loaded.model(rows, images), reference(rows, images), rtol=0, atol=0)


def _rewrite_first_shard(directory: Path, edit) -> None:
    index_path = directory / "model.safetensors.index.json"
    index = json.loads(index_path.read_text())
    shard = directory / sorted(set(index["weight_map"].values()))[0]
    tensors = load_file(str(shard))
    edit(tensors, index["weight_map"], shard.name)
    save_file(tensors, str(shard), metadata={"format": "pt"})
    index_path.write_text(json.dumps(index))


def test_renamed_key_fails_naming_both_keys(tiny_dirs: dict[str, Path], tmp_path: Path) -> None:
    directory = _copy(tiny_dirs["eagle-tiny"], tmp_path)
    renamed: list[str] = []

    def rename(tensors, weight_map, shard_name):
        old = sorted(tensors)[0]
        new = old.replace("weight", "wieght") if "weight" in old else old + "_renamed"
        tensors[new] = tensors.pop(old)
        weight_map[new] = weight_map.pop(old)
        renamed.extend([old, new])

    _rewrite_first_shard(directory, rename)
    with pytest.raises(CheckpointError) as error:
        load_eagle(directory, device="cpu")
    message = str(error.value)
    assert renamed[0] in message and renamed[1] in message
    assert "missing" in message and "unexpected" in message and "Fix" in message


def test_missing_key_fails_naming_it(tiny_dirs: dict[str, Path], tmp_path: Path) -> None:
    directory = _copy(tiny_dirs["eagle-tiny-x4"], tmp_path)
    dropped: list[str] = []

    def drop(tensors, weight_map, shard_name):
        key = sorted(k for k in tensors if "rope" not in k)[-1]
        del tensors[key]
        del weight_map[key]
        dropped.append(key)

    _rewrite_first_shard(directory, drop)
    with pytest.raises(CheckpointError, match="missing") as error:
        load_eagle(directory, device="cpu")
    assert dropped[0] in str(error.value)


def test_shape_mismatch_and_wrong_experts_fail(tiny_dirs: dict[str, Path], tmp_path: Path) -> None:
    directory = _copy(tiny_dirs["eagle-tiny-x4"], tmp_path)
    config = json.loads((directory / "config.json").read_text())
    # An X5 config over X4 weights: the SAM expert's keys are missing, the channel counts differ.
    config["mm_vision_tower"] = "clip-448;convnext-1024;sam-1024;det-1024;pix2struct-1024"
    config["mm_hidden_size"] = json.loads((tiny_dirs["eagle-tiny"] / "config.json").read_text())["mm_hidden_size"]
    (directory / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="vision_towers"):
        load_eagle(directory, device="cpu")


def test_recomputed_rope_tables_may_be_absent(tiny_dirs: dict[str, Path], tmp_path: Path) -> None:
    directory = _copy(tiny_dirs["eagle-tiny"], tmp_path)

    def drop_rope(tensors, weight_map, shard_name):
        for key in [k for k in tensors if ".freqs_" in k]:
            del tensors[key]
            del weight_map[key]

    index = json.loads((directory / "model.safetensors.index.json").read_text())
    for shard in sorted(set(index["weight_map"].values())):
        tensors = load_file(str(directory / shard))
        kept = {k: v for k, v in tensors.items() if ".freqs_" not in k}
        save_file(kept, str(directory / shard), metadata={"format": "pt"})
    index["weight_map"] = {k: v for k, v in index["weight_map"].items() if ".freqs_" not in k}
    (directory / "model.safetensors.index.json").write_text(json.dumps(index))
    original = load_eagle(tiny_dirs["eagle-tiny"], device="cpu")
    without = load_eagle(directory, device="cpu")
    rows = [[1, IMAGE_TOKEN_INDEX, 7]]
    images = torch.randn(1, 3, original.config.vision.image_size, original.config.vision.image_size)
    torch.testing.assert_close(without.model(rows, images), original.model(rows, images), rtol=0, atol=0)


def test_pytorch_bin_weights_load_the_same(tiny_dirs: dict[str, Path], tmp_path: Path) -> None:
    source = tiny_dirs["eagle-tiny-x4"]
    directory = _copy(source, tmp_path)
    state: dict[str, torch.Tensor] = {}
    for shard in directory.glob("*.safetensors"):
        state.update(load_file(str(shard)))
        shard.unlink()
    (directory / "model.safetensors.index.json").unlink()
    torch.save(state, directory / "pytorch_model.bin")
    a = load_eagle(source, device="cpu", dtype="fp32")
    b = load_eagle(directory, device="cpu", dtype="fp32")
    rows = [[1, 50, 51]]
    torch.testing.assert_close(a.model(rows), b.model(rows), rtol=0, atol=0)


def test_half_precision_option_casts_parameters_only(tiny_dirs: dict[str, Path]) -> None:
    loaded = load_eagle(tiny_dirs["eagle-tiny"], device="cpu", dtype="fp16")
    assert loaded.model.lm_head.weight.dtype == torch.float16
    assert loaded.model.model.rotary_emb.inv_freq.dtype == torch.float32


def test_missing_directory_and_config_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"checkpoint directory .*/nope/ does not exist"):
        load_eagle(str(tmp_path / "nope") + "/", device="cpu")
    with pytest.raises(CheckpointError, match="config.json"):
        load_eagle(tmp_path, device="cpu")


def test_a_broken_sentencepiece_install_is_named_not_misread(tiny_dirs: dict[str, Path],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # sentencepiece 0.2.3 beside protobuf < 7 fails to import its protobuf module; transformers would then
    # read tokenizer.model as a tiktoken file and fail with an unrelated parse error.
    monkeypatch.setitem(sys.modules, "sentencepiece.sentencepiece_model_pb2", None)
    with pytest.raises(CheckpointError, match=r"tokenizer\.model needs sentencepiece's protobuf module.*"
                                              r"sentencepiece<0\.2\.3"):
        load_eagle(tiny_dirs["eagle-tiny"], device="cpu")
