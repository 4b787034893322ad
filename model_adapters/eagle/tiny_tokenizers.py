"""Tiny tokenizers, one per conversation template, shaped like the released checkpoints' tokenizers.

- `vicuna`: a sentencepiece Llama tokenizer (BPE, byte fallback, unk/bos/eos = 0/1/2, `legacy: false`,
  BOS added), as Vicuna-1.5's. It is the tokenizer of the `eagle-tiny` checkpoints.
- `vicuna-legacy`: the same model with `legacy: true`, the other mode of transformers' slow Llama tokenizer.
- `yi`: a sentencepiece tokenizer with ChatML's `<|im_start|>` / `<|im_end|>` as special tokens, no BOS
  added (`add_bos_token: false`) and `legacy: true`, like Nous-Hermes-2-Yi-34B's.
- `llama3`: a byte-level BPE `tokenizer.json` with Llama-3's header and turn tokens and a post-processor
  that adds `<|begin_of_text|>`, like Llama-3-Instruct's (a fast-only tokenizer).

Each is trained here from a fixed corpus with one thread, so the same files come out on every machine.
This module imports only sentencepiece, tokenizers and the standard library, so the golden generator
(scripts/make_tokenization_goldens.py) can load it by path inside the authors' environment and build the
very same tokenizers there. `vocabulary_fingerprint` lets both sides check they did.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

VOCAB_SIZE = 512

CORPUS_LINES = (
    "A chat between a curious user and an artificial intelligence assistant.",
    "The assistant gives helpful, detailed, and polite answers to the user's questions.",
    "USER: What is written on the sign? Answer the question using a single word or phrase. ASSISTANT:",
    "Is there a red car in the image? Please answer yes or no.",
    "Answer with the option's letter from the given choices directly. A. cat B. dog C. bird D. fish",
    "What is the title of this chart? How many bars are there? What year is shown?",
    "The quick brown fox jumps over the lazy dog. 0 1 2 3 4 5 6 7 8 9 10 2024 3.14",
    "stop sign, coca cola, new york, table, window, person, street, yes, no, red, blue, green",
)
CHATML_TOKENS = ("<|im_start|>", "<|im_end|>")
LLAMA3_SPECIAL_TOKENS = (
    "<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<pad>",
)


def _added_token(content: str) -> dict[str, object]:
    return {"content": content, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False,
            "special": True}


def _train_sentencepiece(directory: Path, control_symbols: tuple[str, ...] = (),
                         bos: str = "<s>", eos: str = "</s>") -> None:
    import sentencepiece as spm

    directory.mkdir(parents=True, exist_ok=True)
    # Trained from an iterator into memory: no file paths end up in the model's stored trainer spec.
    model = io.BytesIO()
    # Only non-default names are passed: the stored trainer spec (and so the file) stays that of eagle-tiny.
    names: dict[str, Any] = {"bos_piece": bos, "eos_piece": eos} if (bos, eos) != ("<s>", "</s>") else {}
    if control_symbols:
        names["control_symbols"] = list(control_symbols)
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS_LINES * 4), model_writer=model, vocab_size=VOCAB_SIZE,
        model_type="bpe", byte_fallback=True, split_digits=True, unk_id=0, bos_id=1, eos_id=2,
        pad_id=-1, num_threads=1, hard_vocab_limit=False, add_dummy_prefix=True,
        remove_extra_whitespaces=False, normalization_rule_name="identity", minloglevel=2, **names,
    )
    (directory / "tokenizer.model").write_bytes(model.getvalue())


def _write_configs(directory: Path, special: dict[str, str], config: dict[str, object]) -> None:
    (directory / "special_tokens_map.json").write_text(json.dumps(special, indent=2) + "\n")
    (directory / "tokenizer_config.json").write_text(json.dumps({**config, **special}, indent=2) + "\n")


def write_vicuna_tokenizer(directory: Path, legacy: bool = False) -> Path:
    _train_sentencepiece(directory)
    special = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<unk>"}
    _write_configs(directory, special, {
        "tokenizer_class": "LlamaTokenizer", "add_bos_token": True, "add_eos_token": False,
        "legacy": legacy, "model_max_length": 2048, "padding_side": "right",
        "clean_up_tokenization_spaces": False,
    })
    return directory


def write_yi_tokenizer(directory: Path) -> Path:
    _train_sentencepiece(directory, CHATML_TOKENS, bos="<|startoftext|>", eos="<|endoftext|>")
    special = {"bos_token": "<|startoftext|>", "eos_token": "<|im_end|>", "unk_token": "<unk>",
               "pad_token": "<unk>"}
    added = {"0": "<unk>", "1": "<|startoftext|>", "2": "<|endoftext|>", "3": CHATML_TOKENS[0], "4": CHATML_TOKENS[1]}
    _write_configs(directory, special, {
        "tokenizer_class": "LlamaTokenizer", "add_bos_token": False, "add_eos_token": False, "legacy": True,
        "model_max_length": 4096, "padding_side": "right", "clean_up_tokenization_spaces": False,
        "added_tokens_decoder": {k: _added_token(v) for k, v in added.items()},
    })
    return directory


def write_llama3_tokenizer(directory: Path) -> Path:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    directory.mkdir(parents=True, exist_ok=True)
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB_SIZE, special_tokens=list(LLAMA3_SPECIAL_TOKENS),
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator(CORPUS_LINES * 4, trainer)
    bos = LLAMA3_SPECIAL_TOKENS[0]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A", pair=f"{bos} $A {bos} $B", special_tokens=[(bos, tokenizer.token_to_id(bos))])
    tokenizer.save(str(directory / "tokenizer.json"))
    special = {"bos_token": bos, "eos_token": "<|eot_id|>", "pad_token": "<pad>"}
    added = {str(tokenizer.token_to_id(t)): _added_token(t) for t in LLAMA3_SPECIAL_TOKENS}
    _write_configs(directory, special, {
        "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 8192,
        "clean_up_tokenization_spaces": True, "added_tokens_decoder": added,
    })
    return directory


TINY_TOKENIZERS: dict[str, tuple[str, Callable[[Path], Path]]] = {
    # name: (conversation template, writer)
    "vicuna": ("vicuna_v1", write_vicuna_tokenizer),
    "vicuna-legacy": ("vicuna_v1", lambda directory: write_vicuna_tokenizer(directory, legacy=True)),
    "yi": ("yi_34b_chatml_direct", write_yi_tokenizer),
    "llama3": ("llama3", write_llama3_tokenizer),
}


def write_tiny_tokenizers(root: Path) -> dict[str, Path]:
    """Every tiny tokenizer, each in `root/<name>`."""
    return {name: writer(Path(root) / name) for name, (_, writer) in TINY_TOKENIZERS.items()}


def vocabulary_fingerprint(directory: Path) -> str:
    """A hash of what tokenizes: every piece with its score and type (sentencepiece), or the vocabulary,
    merges and added tokens (tokenizer.json), plus tokenizer_config.json. File bytes are not compared:
    library releases serialize the same vocabulary differently."""
    directory = Path(directory)
    digest = hashlib.sha256((directory / "tokenizer_config.json").read_bytes())
    if (directory / "tokenizer.model").exists():
        import sentencepiece as spm

        model = spm.SentencePieceProcessor(model_file=str(directory / "tokenizer.model"))
        for i in range(model.get_piece_size()):
            kind = (model.is_control(i), model.is_unknown(i), model.is_byte(i), model.is_unused(i))
            digest.update(f"{i}\t{model.id_to_piece(i)}\t{model.get_score(i)!r}\t{kind}\n".encode())
    else:
        data = json.loads((directory / "tokenizer.json").read_text())
        merges = [" ".join(m) if isinstance(m, list) else m for m in data["model"]["merges"]]
        added = sorted((t["id"], t["content"], t["special"]) for t in data["added_tokens"])
        digest.update(json.dumps([sorted(data["model"]["vocab"].items()), merges, added]).encode())
    return digest.hexdigest()
