"""A tiny random Eagle checkpoint in the released layout, for tests and CPU smoke runs.

It has every expert (tiny sizes), a two-layer Llama, random weights from a fixed seed, and the files a
released NVEagle repository has: config.json with the eagle_llama keys, sharded safetensors (at least
two shards) with model.safetensors.index.json, a sentencepiece Llama tokenizer (tokenizer.model,
tokenizer_config.json, special_tokens_map.json; unk/bos/eos = 0/1/2 as Vicuna's) and
generation_config.json. `eagle-tiny` is this checkpoint, written once to a cache directory and then
loaded through the same loader as a real checkpoint.

The tokenizer is tiny_tokenizers' `vicuna` one (sentencepiece BPE with byte fallback, trained here with one
thread from a fixed corpus), so no download is needed and the result is the same on every machine.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import torch

from eagle_eval.model_adapters.eagle.presets import get_preset
from eagle_eval.model_adapters.eagle.tiny_tokenizers import write_vicuna_tokenizer

# Bump when the tiny layout, sizes or seed change, so stale caches are not reused.
TINY_VERSION = 4
TINY_SEED = 20240918


def cache_root() -> Path:
    return Path(os.environ.get("EAGLE_EVAL_CACHE", Path.home() / ".cache" / "eagle-eval")).expanduser()


def tiny_checkpoint_dir(preset_name: str = "eagle-tiny") -> Path:
    return cache_root() / f"{preset_name}-v{TINY_VERSION}"


def write_tiny_tokenizer(directory: Path) -> int:
    """Train and save the sentencepiece tokenizer; returns its vocabulary size."""
    import sentencepiece as spm

    write_vicuna_tokenizer(Path(directory))
    return spm.SentencePieceProcessor(model_file=str(Path(directory) / "tokenizer.model")).get_piece_size()


def write_tiny_checkpoint(directory: Path, preset_name: str = "eagle-tiny", seed: int = TINY_SEED) -> Path:
    """Write the tiny checkpoint for `preset_name` (eagle-tiny = X5, eagle-tiny-x4 = X4) into `directory`."""

    from eagle_eval.model_adapters.eagle.checkpoint import checkpoint_state_dict
    from eagle_eval.model_adapters.eagle.modeling import EagleForCausalLM

    preset = get_preset(preset_name)
    if not preset.tiny:
        raise ValueError(f"{preset_name} is not a tiny preset; tiny checkpoints are eagle-tiny / eagle-tiny-x4")
    directory = Path(directory)
    vocab = write_tiny_tokenizer(directory)
    config = preset.eagle_config(vocab_size=vocab)
    torch.manual_seed(seed)
    model = EagleForCausalLM(config).eval()
    state = _drop_shared_copies({k: v.detach().contiguous() for k, v in checkpoint_state_dict(model).items()})
    save_sharded(state, directory, shards=3)
    config.save(directory / "config.json")
    generation = {"bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0, "max_length": 2048}
    (directory / "generation_config.json").write_text(json.dumps(generation, indent=2) + "\n")
    return directory


def _drop_shared_copies(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Keep one name per shared storage (EVA-02's RoPE tables are shared by its blocks), the shortest,
    as transformers' safetensors saving does; the loader recomputes these tables anyway."""
    by_storage: dict[tuple[int, int | torch.SymInt], list[str]] = {}
    for key, tensor in state.items():
        by_storage.setdefault((tensor.untyped_storage().data_ptr(), tensor.storage_offset()), []).append(key)
    keep = {min(keys, key=lambda k: (len(k), k)) for keys in by_storage.values()}
    return {k: v for k, v in state.items() if k in keep}


def ensure_tiny_checkpoint(preset_name: str = "eagle-tiny") -> Path:
    """The cached tiny checkpoint, written on first use (atomically: concurrent writers do not clash)."""
    target = tiny_checkpoint_dir(preset_name)
    if (target / "model.safetensors.index.json").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        write_tiny_checkpoint(scratch, preset_name)
        try:
            scratch.rename(target)
        except OSError:
            if not (target / "model.safetensors.index.json").exists():
                raise
    finally:
        if scratch.exists():
            shutil.rmtree(scratch)
    return target


def save_sharded(state: dict[str, torch.Tensor], directory: Path, shards: int) -> None:
    """Write `state` as about `shards` safetensors files with their index, as the released checkpoints are
    laid out, so the tiny checkpoints go through the sharded loading path."""
    from huggingface_hub import split_torch_state_dict_into_shards
    from safetensors.torch import save_file

    total = sum(t.numel() * t.element_size() for t in state.values())
    largest = max(t.numel() * t.element_size() for t in state.values())
    split = split_torch_state_dict_into_shards(state, max_shard_size=max(total // shards, largest),
                                               filename_pattern="model{suffix}.safetensors")
    for filename, keys in split.filename_to_tensors.items():
        save_file({k: state[k] for k in keys}, str(directory / filename), metadata={"format": "pt"})
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(split.tensor_to_filename.items()))}
    (directory / "model.safetensors.index.json").write_text(json.dumps(index, indent=2) + "\n")
