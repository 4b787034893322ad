"""Text ↔ token ids exactly as the released checkpoints were trained and evaluated (transformers 4.37–4.44).

The Vicuna and Yi checkpoints use transformers' *slow* Llama tokenizer (`use_fast=False`, sentencepiece).
transformers 5 no longer has it: `use_fast=False` loads the `tokenizers`-based one, which differs in two
ways that move scores (docs/model.md, "Tokenization"):

- a piece that starts with a space loses its prefix `▁`: ` and ` after an inline `<image>` was
  `▁ ▁and ▁` and becomes `▁and ▁`;
- a byte-fallback run with an invalid UTF-8 byte decodes to replacement characters throughout, where
  sentencepiece's own decoder replaced only the invalid bytes.

`SlowLlamaTokenizer` re-implements the slow tokenizer's rules on top of sentencepiece, for any
transformers release. It is hand-written because no maintained library still provides those rules;
the rules were read off transformers 4.44 and are checked against ids and texts produced by the authors'
own path under transformers 4.44.2 (tests/goldens/eagle_tokenization.json). Fast-only tokenizers
(Llama-3's tokenizer.json) behave the same in both transformers generations and are used as loaded
(`TransformersTokenizer`).

Both expose `encode(text) -> ids` (special tokens added as the tokenizer does) and
`decode(ids, skip_special_tokens=True) -> str`, plus `bos_token_id`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Protocol

SPIECE_UNDERLINE = "▁"


class TextTokenizer(Protocol):
    bos_token_id: int | None

    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids: list[int], skip_special_tokens: bool = True) -> str: ...


class TransformersTokenizer:
    """A loaded transformers tokenizer behind the `TextTokenizer` surface (for fast-only tokenizers).

    `clean_up_spaces` is the config's `clean_up_tokenization_spaces` (4.44's default when absent: on):
    4.44 then removed the space before punctuation in every decoded text; transformers 5 ignores the key
    for BPE tokenizers, so it is applied here.
    """

    def __init__(self, tokenizer: Any, clean_up_spaces: bool = False) -> None:
        self.tokenizer = tokenizer
        self.bos_token_id = tokenizer.bos_token_id
        self.clean_up_spaces = clean_up_spaces

    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer(text).input_ids)

    def decode(self, ids: list[int], skip_special_tokens: bool = True) -> str:
        text = self.tokenizer.decode(ids, skip_special_tokens=skip_special_tokens, clean_up_tokenization_spaces=False)
        return _clean_up_spaces(text) if self.clean_up_spaces else text


def _token_content(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value["content"]


class SlowLlamaTokenizer:
    """transformers 4.44's slow `LlamaTokenizer` on a `tokenizer.model`, configured by tokenizer_config.json.

    Encoding: split the text at added tokens (longest first, honouring their lstrip/rstrip flags); with
    `legacy: false` prepend `▁` to the text and encode each piece that starts with a space after a
    throw-away unk prefix with sentencepiece's dummy prefix turned off, so the piece's own leading
    space stays a `▁`; with `legacy: true` encode every piece with the dummy prefix (a piece right after a
    special token gets one too); then BOS/EOS as `add_bos_token` / `add_eos_token` say.
    Decoding: sentencepiece's decoder per run of ordinary pieces, special tokens skipped or kept verbatim.
    """

    def __init__(self, directory: str | Path) -> None:
        import sentencepiece as spm

        directory = Path(directory)
        config = _read_json(directory / "tokenizer_config.json")
        special_map = _read_json(directory / "special_tokens_map.json")
        special_map.update({k: config[k] for k in config if k.endswith("_token") or k == "additional_special_tokens"})
        if config.get("add_prefix_space", True) is not True:
            raise ValueError(f"{directory}: add_prefix_space={config['add_prefix_space']!r} is not supported")
        # transformers 4.44 used the legacy rules when the key is absent (with a warning).
        self.legacy = bool(config.get("legacy", True))
        self.add_bos = bool(config.get("add_bos_token", True))
        self.add_eos = bool(config.get("add_eos_token", False))
        self.clean_up_spaces = bool(config.get("clean_up_tokenization_spaces", True))
        model_bytes = (directory / "tokenizer.model").read_bytes()
        self.sp = spm.SentencePieceProcessor()
        if self.legacy:
            self.sp.LoadFromSerializedProto(model_bytes)
        else:
            # transformers' own choice of protobuf module: a second copy of the same .proto in one process
            # would clash with the one transformers already registered.
            from transformers.convert_slow_tokenizer import import_protobuf

            proto = import_protobuf().ModelProto.FromString(model_bytes)
            proto.normalizer_spec.add_dummy_prefix = False
            self.sp.LoadFromSerializedProto(proto.SerializeToString())

        names = {key: _token_content(special_map.get(key)) for key in ("bos_token", "eos_token", "unk_token", "pad_token")}
        self.unk_token = names["unk_token"] or "<unk>"
        extra = [_token_content(t) for t in special_map.get("additional_special_tokens") or []]
        self.special_tokens = {t for t in [*names.values(), *extra] if t}
        # Added tokens (never split, matched before sentencepiece sees the text): the ones the config
        # declares, with their strip flags, and every special token, unstripped.
        self.added: dict[str, int] = {}
        self.flags: dict[str, tuple[bool, bool]] = {}
        for index, entry in (config.get("added_tokens_decoder") or {}).items():
            if entry.get("single_word"):
                raise ValueError(f"{directory}: single_word added tokens ({entry['content']}) are not supported")
            self.added[entry["content"]] = int(index)
            self.flags[entry["content"]] = (bool(entry.get("lstrip")), bool(entry.get("rstrip")))
        for token in sorted(self.special_tokens - set(self.added)):
            if self.sp.piece_to_id(token) == self.sp.unk_id() and token != self.unk_token:
                raise ValueError(f"{directory}: special token {token!r} is not in tokenizer.model; "
                                 "declare its id in tokenizer_config.json's added_tokens_decoder")
            self.added[token] = self.sp.piece_to_id(token)
            self.flags[token] = (False, False)
        self.id_to_added = {i: t for t, i in self.added.items()}
        self.special_ids = {self._token_to_id(t) for t in self.special_tokens}
        ordered = sorted(self.added, key=len, reverse=True)
        self._split = re.compile("(" + "|".join(re.escape(t) for t in ordered) + ")") if ordered else None
        self._unk_length = len(self.sp.encode(self.unk_token, out_type=str))
        self.bos_token_id = self._token_to_id(names["bos_token"]) if names["bos_token"] else None
        self.eos_token_id = self._token_to_id(names["eos_token"]) if names["eos_token"] else None

    # --- encoding -------------------------------------------------------------------------------------

    def tokenize(self, text: str) -> list[str]:
        if not self.legacy and text:
            text = SPIECE_UNDERLINE + text.replace(SPIECE_UNDERLINE, " ")
        parts = self._split.split(text) if self._split else [text]
        for i in range(1, len(parts), 2):  # odd positions hold the added tokens
            lstrip, rstrip = self.flags[parts[i]]
            if rstrip:
                parts[i + 1] = parts[i + 1].lstrip()
            if lstrip:
                parts[i - 1] = parts[i - 1].rstrip()
        tokens: list[str] = []
        for i, part in enumerate(parts):
            if not part:
                continue
            tokens.extend([part] if i % 2 else self._encode_piece(part))
        if not self.legacy and len(tokens) > 1 and tokens[0] == SPIECE_UNDERLINE and tokens[1] in self.special_tokens:
            tokens = tokens[1:]
        return tokens

    def _encode_piece(self, text: str) -> list[str]:
        if self.legacy or not text.startswith((SPIECE_UNDERLINE, " ")):
            return self.sp.encode(text, out_type=str)
        pieces = self.sp.encode(self.unk_token + text, out_type=str)
        return pieces[self._unk_length:] if len(pieces) >= self._unk_length else pieces

    def _token_to_id(self, token: str) -> int:
        return self.added[token] if token in self.added else self.sp.piece_to_id(token)

    def encode(self, text: str) -> list[int]:
        ids = [self._token_to_id(t) for t in self.tokenize(text)]
        if self.add_bos and self.bos_token_id is not None:
            ids = [self.bos_token_id, *ids]
        if self.add_eos and self.eos_token_id is not None:
            ids = [*ids, self.eos_token_id]
        return ids

    # --- decoding -------------------------------------------------------------------------------------

    def decode(self, ids: list[int], skip_special_tokens: bool = True) -> str:
        tokens = [self.id_to_added.get(i) or self.sp.id_to_piece(i) for i in ids
                  if not (skip_special_tokens and i in self.special_ids)]
        # Added tokens that are not special stand on their own, joined by spaces, as in transformers 4.44.
        texts: list[str] = []
        run: list[str] = []
        for token in tokens:
            if token in self.added and token not in self.special_tokens:
                if run:
                    text = self._pieces_to_string(run)
                    if text:
                        texts.append(text)
                    run = []
                texts.append(token)
            else:
                run.append(token)
        if run:
            texts.append(self._pieces_to_string(run))
        text = " ".join(texts)
        return _clean_up_spaces(text) if self.clean_up_spaces else text

    def _pieces_to_string(self, tokens: list[str]) -> str:
        if tokens[0].startswith(SPIECE_UNDERLINE):  # the prefix space the encoder added
            tokens = [tokens[0][1:], *tokens[1:]]
        out = ""
        run: list[str] = []
        after_special = False
        for i, token in enumerate(tokens):
            if token in self.special_tokens:
                if not after_special and i != 0 and self.legacy:
                    out += " "
                out += self.sp.decode_pieces(run) + token
                after_special, run = True, []
            else:
                if after_special and i == 1 and not token.startswith(SPIECE_UNDERLINE):
                    out += " "
                run.append(token)
                after_special = False
        return out + self.sp.decode_pieces(run)


def _clean_up_spaces(text: str) -> str:
    for before, after in ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                          (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")):
        text = text.replace(before, after)
    return text


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.exists() else {}


def uses_slow_llama_tokenizer(directory: str | Path) -> bool:
    """Whether the checkpoint's tokenizer is a sentencepiece Llama tokenizer (loaded slow by the authors)."""
    directory = Path(directory)
    config = _read_json(directory / "tokenizer_config.json")
    return (directory / "tokenizer.model").exists() and config.get("tokenizer_class", "LlamaTokenizer") in (
        "LlamaTokenizer", "LlamaTokenizerFast")


def load_text_tokenizer(directory: str | Path, loaded: Any) -> TextTokenizer:
    """The authors' text path for a checkpoint: the slow Llama rules where they loaded a slow tokenizer,
    else the transformers tokenizer `loaded` from the same directory."""
    if uses_slow_llama_tokenizer(directory):
        return SlowLlamaTokenizer(directory)
    config = _read_json(Path(directory) / "tokenizer_config.json")
    return TransformersTokenizer(loaded, clean_up_spaces=bool(config.get("clean_up_tokenization_spaces", True)))
