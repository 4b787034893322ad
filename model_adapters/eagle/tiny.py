"""A tiny random Eagle checkpoint in the released layout, for tests and CPU smoke runs.

It has every expert (tiny sizes), a two-layer Llama, random weights from a fixed seed, and the files a
released NVEagle repository has: config.json with the eagle_llama keys, sharded safetensors (at least
two shards) with model.safetensors.index.json, a sentencepiece Llama tokenizer (tokenizer.model,
tokenizer_config.json, special_tokens_map.json; unk/bos/eos = 0/1/2 as Vicuna's) and
generation_config.json. `eagle-tiny` is this checkpoint, written once to a cache directory and then
loaded through the same loader as a real checkpoint.

The tokenizer is trained here (sentencepiece BPE with byte fallback, one thread, fixed corpus), so no
download is needed and the result is the same on every machine.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
from pathlib import Path

import torch

from eagle_eval.model_adapters.eagle.presets import get_preset

# Bump when the tiny layout, sizes or seed change, so stale caches are not reused.
TINY_VERSION = 4
TINY_SEED = 20240918
_TOKENIZER_VOCAB = 512

_CORPUS_LINES = (
    "A chat between a curious user and an artificial intelligence assistant.",
    "The assistant gives helpful, detailed, and polite answers to the user's questions.",
    "USER: What is written on the sign? Answer the question using a single word or phrase. ASSISTANT:",
    "Is there a red car in the image? Please answer yes or no.",
    "Answer with the option's letter from the given choices directly. A. cat B. dog C. bird D. fish",
    "What is the title of this chart? How many bars are there? What year is shown?",
    "The quick brown fox jumps over the lazy dog. 0 1 2 3 4 5 6 7 8 9 10 2024 3.14",
    "stop sign, coca cola, new york, table, window, person, street, yes, no, red, blue, green",
)


def cache_root() -> Path:
    return Path(os.environ.get("EAGLE_EVAL_CACHE", Path.home() / ".cache" / "eagle-eval")).expanduser()


def tiny_checkpoint_dir(preset_name: str = "eagle-tiny") -> Path:
    return cache_root() / f"{preset_name}-v{TINY_VERSION}"


def write_tiny_tokenizer(directory: Path) -> int:
    """Train and save the sentencepiece tokenizer; returns its vocabulary size."""
    import sentencepiece as spm

    directory.mkdir(parents=True, exist_ok=True)
    # Trained from an iterator into memory: no file paths end up in the model's stored trainer spec.
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(_CORPUS_LINES * 4), model_writer=model, vocab_size=_TOKENIZER_VOCAB,
        model_type="bpe", byte_fallback=True, split_digits=True, unk_id=0, bos_id=1, eos_id=2,
        pad_id=-1, num_threads=1, hard_vocab_limit=False, add_dummy_prefix=True,
        remove_extra_whitespaces=False, normalization_rule_name="identity", minloglevel=2,
    )
    (directory / "tokenizer.model").write_bytes(model.getvalue())
    vocab = spm.SentencePieceProcessor(model_file=str(directory / "tokenizer.model")).get_piece_size()
    special = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<unk>"}
    (directory / "special_tokens_map.json").write_text(json.dumps(special, indent=2) + "\n")
    tokenizer_config = {
        "tokenizer_class": "LlamaTokenizer", "add_bos_token": True, "add_eos_token": False,
        "legacy": False, "model_max_length": 2048, "padding_side": "right",
        "clean_up_tokenization_spaces": False, **special,
    }
    (directory / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2) + "\n")
    return vocab


def write_tiny_checkpoint(directory: Path, preset_name: str = "eagle-tiny", seed: int = TINY_SEED) -> Path:
    """Write the tiny checkpoint for `preset_name` (eagle-tiny = X5, eagle-tiny-x4 = X4) into `directory`."""
    from huggingface_hub import split_torch_state_dict_into_shards
    from safetensors.torch import save_file

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
    total = sum(t.numel() * t.element_size() for t in state.values())
    largest = max(t.numel() * t.element_size() for t in state.values())
    split = split_torch_state_dict_into_shards(state, max_shard_size=max(total // 3, largest),
                                               filename_pattern="model{suffix}.safetensors")
    for filename, keys in split.filename_to_tensors.items():
        save_file({k: state[k] for k in keys}, str(directory / filename), metadata={"format": "pt"})
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(split.tensor_to_filename.items()))}
    (directory / "model.safetensors.index.json").write_text(json.dumps(index, indent=2) + "\n")
    config.save(directory / "config.json")
    generation = {"bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0, "max_length": 2048}
    (directory / "generation_config.json").write_text(json.dumps(generation, indent=2) + "\n")
    return directory


def _drop_shared_copies(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Keep one name per shared storage (EVA-02's RoPE tables are shared by its blocks), the shortest,
    as transformers' safetensors saving does; the loader recomputes these tables anyway."""
    by_storage: dict[tuple[int, int], list[str]] = {}
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
