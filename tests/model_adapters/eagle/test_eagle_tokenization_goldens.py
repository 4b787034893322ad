"""Our prompt ids and answer texts equal the authors' path under transformers 4.44.2, whatever transformers
is installed.

tests/goldens/eagle_tokenization.json was written by scripts/make_tokenization_goldens.py (its docstring
has the command) from the NVlabs/EAGLE conversation templates, their `tokenizer_image_token` and the
wrapper's prompt building and decoding, on the tiny tokenizers of tiny_tokenizers.py built there by the
same code. It covers every task's bundled prompts and MMMU-style inline multi-image prompts, for each
template (vicuna_v1 in both slow-tokenizer modes, llama3, yi_34b_chatml_direct).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from eagle_eval.model_adapters.eagle.checkpoint import load_tokenizer
from eagle_eval.model_adapters.eagle.templates import get_template, place_images, prompt_ids
from eagle_eval.model_adapters.eagle.tiny_tokenizers import (
    TINY_TOKENIZERS,
    vocabulary_fingerprint,
    write_tiny_tokenizers,
)
from eagle_eval.model_adapters.eagle.tokenization import (
    SlowLlamaTokenizer,
    TransformersTokenizer,
    load_text_tokenizer,
)

GOLDENS = Path(__file__).resolve().parents[2] / "goldens"
GOLDEN = json.loads((GOLDENS / "eagle_tokenization.json").read_text())
NAMES = sorted(GOLDEN["tokenizers"])


@pytest.fixture(scope="module")
def tokenizer_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_tiny_tokenizers(tmp_path_factory.mktemp("tiny-tokenizers"))


def _text_tokenizer(directory: Path):
    return load_text_tokenizer(directory, load_tokenizer(directory))


def test_goldens_come_from_the_authors_transformers_and_cover_every_template() -> None:
    assert GOLDEN["meta"]["transformers"] == "4.44.2" and GOLDEN["meta"]["tokenizers"] == "0.19.1"
    assert set(NAMES) == set(TINY_TOKENIZERS)
    assert {GOLDEN["tokenizers"][n]["template"] for n in NAMES} == {"vicuna_v1", "llama3", "yi_34b_chatml_direct"}


@pytest.mark.parametrize("name", NAMES)
def test_tiny_tokenizer_is_the_one_the_goldens_used(name: str, tokenizer_dirs: dict[str, Path]) -> None:
    assert vocabulary_fingerprint(tokenizer_dirs[name]) == GOLDEN["tokenizers"][name]["fingerprint"], (
        f"tiny tokenizer {name} changed: regenerate the goldens (scripts/make_tokenization_goldens.py)")


@pytest.mark.parametrize("name", NAMES)
def test_prompt_strings_and_ids_equal_the_authors(name: str, tokenizer_dirs: dict[str, Path]) -> None:
    entry = GOLDEN["tokenizers"][name]
    template = get_template(entry["template"])
    tokenizer = _text_tokenizer(tokenizer_dirs[name])
    wrong = []
    for case in entry["prompts"]:
        assert template.prompt(place_images(case["text"], case["images"])) == case["prompt"], case
        ours = prompt_ids(template, tokenizer, case["text"], case["images"])
        if ours != case["ids"]:
            wrong.append((case["task"], case["doc_id"], ours, case["ids"]))
    assert not wrong, f"{len(wrong)} of {len(entry['prompts'])} prompts differ, first: {wrong[0]}"


@pytest.mark.parametrize("name", NAMES)
def test_answer_decoding_equals_the_authors(name: str, tokenizer_dirs: dict[str, Path]) -> None:
    tokenizer = _text_tokenizer(tokenizer_dirs[name])
    wrong = [(d["ids"], tokenizer.decode(d["ids"]), d["text"]) for d in GOLDEN["tokenizers"][name]["decodes"]
             if tokenizer.decode(d["ids"]) != d["text"]]
    assert not wrong, wrong


def test_an_invalid_byte_run_keeps_its_valid_bytes(tokenizer_dirs: dict[str, Path]) -> None:
    # <0xB7> alone is not UTF-8; <0x5C> ("\\") is. The authors' decode keeps the backslash.
    assert _text_tokenizer(tokenizer_dirs["vicuna"]).decode([186, 95, 498]) == "\ufffd\\8"


def test_text_after_an_inline_image_keeps_its_lone_prefix_space(tokenizer_dirs: dict[str, Path]) -> None:
    tokenizer = _text_tokenizer(tokenizer_dirs["vicuna"])
    sp = tokenizer.sp
    assert [sp.id_to_piece(i) for i in tokenizer.encode(" and ")[1:]] == ["▁", "▁and", "▁"]


def test_sentencepiece_checkpoints_get_the_slow_rules_and_byte_level_ones_their_own(
        tokenizer_dirs: dict[str, Path]) -> None:
    assert isinstance(_text_tokenizer(tokenizer_dirs["vicuna"]), SlowLlamaTokenizer)
    assert isinstance(_text_tokenizer(tokenizer_dirs["yi"]), SlowLlamaTokenizer)
    assert isinstance(_text_tokenizer(tokenizer_dirs["llama3"]), TransformersTokenizer)


@pytest.mark.slow
def test_the_cases_still_list_every_tasks_prompts() -> None:
    spec = importlib.util.spec_from_file_location("write_prompt_cases", GOLDENS.parent.parent / "scripts" / "write_prompt_cases.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    stored = json.loads((GOLDENS / "eagle_prompt_cases.json").read_text())
    assert module.all_cases() == stored, "task prompts changed: rerun scripts/write_prompt_cases.py and the goldens"
    golden_cases = [(p["task"], p["doc_id"], p["text"], p["images"]) for p in GOLDEN["tokenizers"]["vicuna"]["prompts"]]
    assert golden_cases == [(c["task"], c["doc_id"], c["text"], c["images"]) for c in stored]
