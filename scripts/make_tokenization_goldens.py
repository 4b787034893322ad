"""Golden prompt ids and answer texts from the Eagle authors' own tokenization path (not run in CI).

For each tiny tokenizer of model_adapters/eagle/tiny_tokenizers.py (one per conversation template, built
here by that very module) and each request text of the cases file, this records the prompt string and
the input ids that the authors' lmms-eval wrapper feeds to the model: the image placeholders placed as
the wrapper places them, the NVlabs/EAGLE conversation template (`conv_templates[...]`, one user turn and
an empty assistant turn, `get_prompt()`), then their `tokenizer_image_token`. It also records how the
wrapper's `tokenizer.batch_decode(..., skip_special_tokens=True)` turns token sequences into answer text,
byte-fallback runs with invalid UTF-8 included. The tokenizer is loaded as their builder loads it
(`AutoTokenizer.from_pretrained(path, use_fast=False)`).

It must run under the transformers release the released checkpoints were evaluated with, in an
environment of its own (scripts/requirements-goldens.txt), on a copy of the authors' source kept outside
this repository (NVlabs/EAGLE, commit fef95f1, the folder holding `eagle/`). The exact commands:

    python3 -m venv /tmp/authors-venv
    /tmp/authors-venv/bin/pip install -r scripts/requirements-goldens.txt
    .venv/bin/python scripts/write_prompt_cases.py tests/goldens/eagle_prompt_cases.json
    /tmp/authors-venv/bin/python scripts/make_tokenization_goldens.py /tmp/eagle-src \\
        tests/goldens/eagle_prompt_cases.json tests/goldens/eagle_tokenization.json --source-commit fef95f1

tests/model_adapters/eagle/test_eagle_tokenization_goldens.py compares the project's ids and texts with the output under the
installed transformers.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import sys
import tempfile
import types
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TINY_TOKENIZERS = REPO / "model_adapters" / "eagle" / "tiny_tokenizers.py"
IMAGE_TOKEN = "<image>"
RANDOM_DECODES = 40

# Token sequences to decode, by piece name: byte-fallback runs that are not valid UTF-8 (a character cut
# short, a stray continuation byte, an invalid lead byte), valid multi-byte runs, and runs mixed with
# ordinary and special pieces.
SENTENCEPIECE_DECODES = (
    ["<0xB7>", "<0x5C>", "8"],
    ["<0xE4>", "<0xB8>", "▁A"],
    ["▁A", "<0xE4>", "<0xB8>"],
    ["<0xE4>", "<0xB8>", "<0xAD>"],
    ["<0xB8>", "<0xAD>", "▁yes"],
    ["<0xFF>", "<0x41>", "<0x0A>", "▁no"],
    ["▁", "<0xF0>", "<0x9F>", "<0x98>"],
    ["<0xC3>", "<0xA9>", "<0xC3>"],
    ["▁The", "▁", "<0xE2>", "<0x80>", "▁red"],
    ["▁A", "</s>", "▁B"],
    ["<s>", "▁yes", "<unk>", "."],
    ["▁", "▁", "▁and", "▁"],
    ["▁Answer", ":", "▁", "<0x0A>", "▁C", "."],
)
BYTE_LEVEL_DECODES = (b"A\xe4\xb8", b"\xb8\xadyes", b"\xffA", b"\xe4\xb8\xad", b" yes\xe2\x80")


# Answers with spaces before punctuation: transformers 4.44 removed them where the tokenizer config asks
# for `clean_up_tokenization_spaces` (Llama-3's does).
TEXT_DECODES = ("Yes , it 's red .", "A . B ! C ? D", "they don 't ' know")


def byte_level_pieces(data: bytes) -> list[str]:
    """One byte-level BPE piece per byte: GPT-2's table, printable Latin-1 bytes as themselves, the rest
    as the characters from U+0100 on, in byte order."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    table = {b: chr(b) for b in printable}
    table.update({b: chr(256 + n) for n, b in enumerate(b for b in range(256) if b not in table)})
    return [table[b] for b in data]


def load_module(name: str, path: Path) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_authors_code(source: Path) -> tuple[dict, object]:
    """`conv_templates` and `tokenizer_image_token` from the authors' `eagle/` package, without running its
    `__init__` (which builds the whole model code and needs every vision library)."""
    package = types.ModuleType("eagle")
    package.__path__ = [str(source / "eagle")]
    sys.modules["eagle"] = package
    conversation = load_module("eagle.conversation", source / "eagle" / "conversation.py")
    load_module("eagle.constants", source / "eagle" / "constants.py")
    mm_utils = load_module("eagle.mm_utils", source / "eagle" / "mm_utils.py")
    return conversation.conv_templates, mm_utils.tokenizer_image_token


def wrapper_question(text: str, images: int) -> str:
    """The user turn as the authors' lmms-eval wrapper builds it (models/eagle.py, generate_until): a
    context without a placeholder gets the image tokens, space-joined, then a newline, in front. (The
    wrapper pairs contexts with the flattened image list, so a context with several images and no
    placeholder gets only one there; no case here has that shape, see write_prompt_cases.py.)"""
    if images and IMAGE_TOKEN not in text:
        return " ".join([IMAGE_TOKEN] * images) + "\n" + text
    return text


def prompt_record(case: dict, template: str, tokenizer, conv_templates, tokenizer_image_token) -> dict:
    conversation = conv_templates[template].copy()
    conversation.append_message(conversation.roles[0], wrapper_question(case["text"], case["images"]))
    conversation.append_message(conversation.roles[1], None)
    prompt = conversation.get_prompt()
    ids = tokenizer_image_token(prompt, tokenizer, -200)
    return {"task": case["task"], "doc_id": case["doc_id"], "text": case["text"], "images": case["images"],
            "prompt": prompt, "ids": list(ids)}


def decode_records(tokenizer, byte_level: bool, seed: int) -> list[dict]:
    if byte_level:
        sequences = [tokenizer.convert_tokens_to_ids(byte_level_pieces(run)) for run in BYTE_LEVEL_DECODES]
    else:
        sequences = [tokenizer.convert_tokens_to_ids(pieces) for pieces in SENTENCEPIECE_DECODES]
    sequences += [tokenizer.encode(text, add_special_tokens=False) for text in TEXT_DECODES]
    rng = random.Random(seed)
    sequences += [[rng.randrange(len(tokenizer)) for _ in range(rng.randint(1, 12))] for _ in range(RANDOM_DECODES)]
    texts = tokenizer.batch_decode(sequences, skip_special_tokens=True)
    return [{"ids": ids, "text": text} for ids, text in zip(sequences, texts, strict=True)]


def write_golden(out: Path, golden: dict) -> None:
    """One prompt or decode per line, so a diff shows which case changed."""
    lines = ["{", f'"meta": {json.dumps(golden["meta"], ensure_ascii=False)},', '"tokenizers": {']
    names = list(golden["tokenizers"])
    for n, name in enumerate(names):
        entry = golden["tokenizers"][name]
        lines.append(f'{json.dumps(name)}: {{"template": {json.dumps(entry["template"])}, '
                     f'"fingerprint": {json.dumps(entry["fingerprint"])},')
        for key in ("prompts", "decodes"):
            rows = ",\n".join(json.dumps(r, ensure_ascii=False) for r in entry[key])
            lines.append(f'{json.dumps(key)}: [\n{rows}\n]' + ("," if key == "prompts" else ""))
        lines.append("}" + ("," if n < len(names) - 1 else ""))
    lines += ["}", "}"]
    out.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description="Golden Eagle prompt ids and decodes from the authors' code.")
    parser.add_argument("eagle_source", type=Path, help="folder holding the authors' eagle/ package")
    parser.add_argument("cases", type=Path, help="request texts (scripts/write_prompt_cases.py)")
    parser.add_argument("out", type=Path)
    parser.add_argument("--source-commit", default="unknown", help="the NVlabs/EAGLE commit of eagle_source")
    args = parser.parse_args()

    import sentencepiece
    import tokenizers
    import transformers
    from transformers import AutoTokenizer

    conv_templates, tokenizer_image_token = load_authors_code(args.eagle_source)
    tiny = load_module("tiny_tokenizers", TINY_TOKENIZERS)
    cases = json.loads(args.cases.read_text())
    golden: dict = {"meta": {
        "generator": "scripts/make_tokenization_goldens.py", "eagle_source_commit": args.source_commit,
        "transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
        "sentencepiece": sentencepiece.__version__, "cases": args.cases.name,
    }, "tokenizers": {}}
    with tempfile.TemporaryDirectory() as scratch:
        for seed, (name, (template, writer)) in enumerate(tiny.TINY_TOKENIZERS.items()):
            directory = writer(Path(scratch) / name)
            tokenizer = AutoTokenizer.from_pretrained(str(directory), use_fast=False)
            golden["tokenizers"][name] = {
                "template": template,
                "fingerprint": tiny.vocabulary_fingerprint(directory),
                "prompts": [prompt_record(c, template, tokenizer, conv_templates, tokenizer_image_token)
                            for c in cases],
                "decodes": decode_records(tokenizer, not (directory / "tokenizer.model").exists(), seed),
            }
    write_golden(args.out, golden)


if __name__ == "__main__":
    main()
