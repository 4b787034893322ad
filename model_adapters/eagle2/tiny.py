"""A tiny random Eagle 2.5-format checkpoint in the released layout, for tests and CPU smoke runs.

Files as in nvidia/Eagle2.5-8B: config.json (`eagle_2_5_vl`, nested SigLIP and Qwen2 configs), sharded
safetensors under the released key names (`vision_model.vision_model.…`, `language_model.…`, `mlp1.…`)
with model.safetensors.index.json, a byte-level BPE tokenizer with Qwen's ChatML tokens and Eagle's image
tokens (`<img>`, `</img>`, `<IMG_CONTEXT>`; no BOS), and generation_config.json. `eagle2.5-tiny` is this
checkpoint, written once under `$EAGLE_EVAL_CACHE` and loaded through the same loader as a real one.

The tokenizer is trained here from a fixed corpus with one thread, so it is the same on every machine.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch

from eagle_eval.model_adapters.eagle2.presets import get_preset

TINY_VERSION = 1
TINY_SEED = 20250416
VOCAB_SIZE = 512
SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>", "<img>", "</img>", "<IMG_CONTEXT>")
CORPUS_LINES = (
    "You are a helpful assistant.",
    "What is written on the sign? Answer the question using a single word or phrase.",
    "Is there a red car in the image? Please answer yes or no.",
    "Answer with the option's letter from the given choices directly. A. cat B. dog C. bird D. fish",
    "What is the title of this chart? How many bars are there? What year is shown? The answer is 42.",
    "The quick brown fox jumps over the lazy dog. 0 1 2 3 4 5 6 7 8 9 10 2024 3.14",
    "stop sign, coca cola, new york, table, window, person, street, yes, no, red, blue, green",
)


def cache_root() -> Path:
    return Path(os.environ.get("EAGLE_EVAL_CACHE", Path.home() / ".cache" / "eagle-eval")).expanduser()


def tiny_checkpoint_dir() -> Path:
    return cache_root() / f"eagle2.5-tiny-v{TINY_VERSION}"


def write_tiny_tokenizer(directory: Path) -> int:
    """Train and save the tokenizer; returns its size (special tokens included)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    directory.mkdir(parents=True, exist_ok=True)
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB_SIZE, special_tokens=list(SPECIAL_TOKENS),
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator(CORPUS_LINES * 4, trainer)
    tokenizer.save(str(directory / "tokenizer.json"))
    added = {str(tokenizer.token_to_id(t)): {"content": t, "lstrip": False, "normalized": False, "rstrip": False,
                                             "single_word": False, "special": True} for t in SPECIAL_TOKENS}
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 32768, "eos_token": "<|im_end|>",
              "pad_token": "<|endoftext|>", "bos_token": None, "added_tokens_decoder": added,
              "clean_up_tokenization_spaces": False}
    (directory / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
    special = {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"}
    (directory / "special_tokens_map.json").write_text(json.dumps(special, indent=2) + "\n")
    return tokenizer.get_vocab_size()


def write_tiny_checkpoint(directory: Path, seed: int = TINY_SEED) -> Path:
    from tokenizers import Tokenizer

    from eagle_eval.model_adapters.eagle.tiny import save_sharded
    from eagle_eval.model_adapters.eagle2.checkpoint import checkpoint_state_dict
    from eagle_eval.model_adapters.eagle2.config import Eagle2Config
    from eagle_eval.model_adapters.eagle2.modeling import Eagle2Model

    directory = Path(directory)
    vocab = write_tiny_tokenizer(directory)
    trained = Tokenizer.from_file(str(directory / "tokenizer.json"))
    ids = {token: _token_id(trained, token) for token in SPECIAL_TOKENS}
    data = get_preset("eagle2.5-tiny").config_dict(vocab_size=vocab, image_token_index=ids["<IMG_CONTEXT>"])
    data["text_config"].update(bos_token_id=None, eos_token_id=ids["<|im_end|>"], pad_token_id=ids["<|endoftext|>"])
    config = Eagle2Config.from_json_dict(data, source="eagle2.5-tiny")
    torch.manual_seed(seed)
    model = Eagle2Model(config).eval()
    state = {k: v.detach().contiguous() for k, v in checkpoint_state_dict(model).items()}
    save_sharded(state, directory, shards=2)
    config.save(directory / "config.json")
    generation = {"eos_token_id": ids["<|im_end|>"], "pad_token_id": ids["<|endoftext|>"]}
    (directory / "generation_config.json").write_text(json.dumps(generation, indent=2) + "\n")
    return directory


def _token_id(tokenizer: Any, token: str) -> int:
    value = tokenizer.token_to_id(token)
    if value is None:
        raise ValueError(f"the tiny tokenizer lost its special token {token}")
    return int(value)


def ensure_tiny_checkpoint() -> Path:
    """The cached tiny checkpoint, written on first use (atomically: concurrent writers do not clash)."""
    target = tiny_checkpoint_dir()
    if (target / "model.safetensors.index.json").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        write_tiny_checkpoint(scratch)
        try:
            scratch.rename(target)
        except OSError:
            if not (target / "model.safetensors.index.json").exists():
                raise
    finally:
        if scratch.exists():
            shutil.rmtree(scratch)
    return target
