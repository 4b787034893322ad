"""The adapter on the tiny checkpoint through the real loader: batch invariance, the protocol, ablations."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from eagle_eval.ablation.spec import SupportsExpertKnockout, blind_request
from eagle_eval.api.adapter import ModelAdapter, ReportsCallStats
from eagle_eval.api.registry import ModelOptions, get_model_entry
from eagle_eval.core.records import GenerationSettings, Request
from eagle_eval.model_adapters.eagle2 import protocol
from eagle_eval.model_adapters.eagle2.adapter import Eagle2Adapter, Eagle2Settings
from eagle_eval.model_adapters.eagle2.config import IMAGE_CONTEXT_TOKEN


@pytest.fixture(scope="module")
def adapter() -> Eagle2Adapter:
    built = get_model_entry("eagle2.5-tiny").factory(
        ModelOptions(device="cpu", batch_size=4, extra={"protocol": "task"}))
    assert isinstance(built, Eagle2Adapter)
    return built


def _image(seed: int, width: int, height: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


def _requests() -> list[Request]:
    questions = ["What is written on the sign?", "Is there a dog? Please answer yes or no.", "How many",
                 "Describe the image in detail, mentioning every object you can see.", "What year is shown?",
                 "A. cat B. dog C. bird", "Title?", "What colour is the car?"]
    return [Request("t", "val", i, q, [_image(i, 30 + 23 * i, 70 - 6 * i)],
                    GenerationSettings(max_new_tokens=2 + (i * 3) % 7))
            for i, q in enumerate(questions)]


def test_adapter_meets_the_contract(adapter: Eagle2Adapter) -> None:
    assert isinstance(adapter, ModelAdapter) and isinstance(adapter, ReportsCallStats)
    info = adapter.info()
    assert info.name == "eagle2.5-tiny" and info.dtype == "float32"
    assert info.settings == {"protocol": "task"}
    assert info.extra["tokens_per_tile"] == 4


def test_batch_size_does_not_change_answers(adapter: Eagle2Adapter) -> None:
    requests = _requests()
    adapter._batch_size = 1
    one = adapter.generate(requests)
    tokens_one = adapter.last_call_stats()
    adapter._batch_size = 4
    four = adapter.generate(requests)
    tokens_four = adapter.last_call_stats()
    assert one == four
    assert tokens_one is not None and tokens_four is not None
    assert tokens_one.tokens_generated == tokens_four.tokens_generated
    assert any(one)  # the random model says something, so equality means something


def test_prompt_expands_each_image_into_its_tiles(adapter: Eagle2Adapter) -> None:
    request = Request("t", "val", 0, "Compare <image> with <image>.", [_image(1, 90, 30), _image(2, 28, 28)])
    row = adapter.prepare(request)
    assert row.tiles is not None
    image_token = adapter.config.image_token_index
    assert row.ids.count(image_token) == row.tiles.shape[0] * 4
    text = adapter.tokenizer.decode(row.ids)
    assert text.startswith("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n")
    assert text.endswith("<|im_end|>\n<|im_start|>assistant\n")
    assert text.count("<img>") == 2 and text.count("</img>") == 2
    one_tile = "<img>" + IMAGE_CONTEXT_TOKEN * 4 + "</img>"
    assert one_tile + "." in text  # the second (square, 28 px) image is one tile, no thumbnail


def test_blind_requests_carry_no_image_tokens(adapter: Eagle2Adapter) -> None:
    request = Request("t", "val", 0, "What is shown?\nAnswer briefly.", [_image(3, 40, 40)])
    blind = blind_request(request)
    row = adapter.prepare(blind)
    assert row.tiles is None
    assert adapter.config.image_token_index not in row.ids
    assert "<img>" not in adapter.tokenizer.decode(row.ids)
    assert adapter.generate([blind, request])[0] == adapter.generate([blind])[0]


def test_expert_knockout_is_not_offered_by_a_single_encoder(adapter: Eagle2Adapter) -> None:
    assert not isinstance(adapter, SupportsExpertKnockout)


def test_eagle2_protocol_rewrites_prompts_and_tiles() -> None:
    short = "\nAnswer the question using a single word or phrase."
    chart = protocol.eagle2_request(Request("chartqa", "test", 0, "Title?\nAnswer the question with a single word.", []))
    assert chart.request.text == "Title?" + short
    assert (chart.max_tiles, chart.upscale, chart.request.generation.max_new_tokens) == (12, True, 8192)
    mme = protocol.eagle2_request(Request("mme", "test", 0, "Is it red?" + short, []))
    assert mme.request.text == "Is it red? Answer the question using a single word or phrase."
    ocr = protocol.eagle2_request(Request("ocrbench", "test", 0, "what is written?", []), cap=4)
    assert ocr.request.text == "what is written?" + short and ocr.max_tiles == 24
    assert ocr.request.generation.max_new_tokens == 4
    math = protocol.eagle2_request(Request("mathvista", "testmini", 0, "Hint: x\nQuestion: y", []))
    assert math.request.text.endswith('Finally give the final answer with "The answer is ..."') and not math.upscale
    letter = "\nAnswer with the option's letter from the given choices directly."
    mmmu = protocol.eagle2_request(Request(
        "mmmu", "val", 0, "Q\nA. x\nAnswer with the option letter from the given choices directly.", []))
    assert mmmu.request.text == "Q\nA. x" + letter and mmmu.max_tiles == 12
    mmbench = protocol.eagle2_request(Request("mmbench", "dev", 0, "Q\nA. x\n" + letter, []))
    assert mmbench.request.text == "Q\nA. x" + letter
    other = protocol.eagle2_request(Request("vqav2", "val", 0, "Is there a cat?", []))
    assert other.request.text == "Is there a cat?" and other.max_tiles == 6


def test_a_task_prompt_that_changed_is_an_error_not_a_pass_through() -> None:
    with pytest.raises(ValueError, match="expects chartqa prompts to end with"):
        protocol.eagle2_request(Request("chartqa", "test", 0, "Title? Be brief.", []))


def test_protocol_is_recorded_and_defaults_to_eagle2(adapter: Eagle2Adapter) -> None:
    eagle2 = Eagle2Adapter("x", adapter.loaded, settings=Eagle2Settings(max_new_tokens=3))
    assert eagle2.info().settings == {"protocol": "eagle2", "max_new_tokens_cap": 3}
    request = Request("chartqa", "test", 0, "Title?\nAnswer the question with a single word.", [_image(5, 200, 40)])
    assert eagle2.prepare(request).spec.max_new_tokens == 3
    with pytest.raises(ValueError, match="unknown protocol"):
        Eagle2Adapter("x", adapter.loaded, settings=Eagle2Settings(protocol="paper"))


def test_each_row_keeps_its_own_budget_and_stop_strings(adapter: Eagle2Adapter) -> None:
    requests = _requests()[:4]
    adapter.generate(requests)
    stats = adapter.last_call_stats()
    assert stats is not None
    assert stats.tokens_generated is not None
    assert stats.tokens_generated <= sum(r.generation.max_new_tokens for r in requests)
    long = Request("t", "val", 0, "Describe.", [_image(9, 40, 40)], GenerationSettings(max_new_tokens=12))
    answer = adapter.generate([long])[0]
    stop = answer.strip()[1:3] if len(answer.strip()) > 3 else None
    if stop:  # a stop string taken from the answer itself cuts it there
        cut = Request("t", "val", 0, "Describe.", [_image(9, 40, 40)],
                      GenerationSettings(max_new_tokens=12, until=(stop,)))
        assert adapter.generate([cut])[0] == answer[:answer.index(stop)].strip()


def test_half_precision_casts_parameters_and_keeps_buffers() -> None:
    import torch

    from eagle_eval.model_adapters.eagle2.checkpoint import load_eagle2
    from eagle_eval.model_adapters.eagle2.tiny import ensure_tiny_checkpoint

    loaded = load_eagle2(ensure_tiny_checkpoint(), device="cpu", dtype="bf16")
    assert {p.dtype for p in loaded.model.parameters()} == {torch.bfloat16}
    assert loaded.model.language_model.model.rotary_emb.inv_freq.dtype == torch.float32
    assert load_eagle2(ensure_tiny_checkpoint(), device="cpu").dtype == torch.float32
