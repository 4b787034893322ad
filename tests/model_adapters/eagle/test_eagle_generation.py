"""Batched greedy generation and the adapter, on the tiny checkpoint loaded through the real loader."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from eagle_eval.api.adapter import ModelAdapter
from eagle_eval.api.registry import ModelOptions, get_model_entry, resolve_model_name
from eagle_eval.core.records import GenerationSettings, Request
from eagle_eval.model_adapters.eagle.adapter import EagleAdapter
from eagle_eval.model_adapters.eagle.generation import RowSpec, cut_at_stop_strings, greedy_generate
from eagle_eval.model_adapters.eagle.pipeline import BatchedPipeline, BatchWork
from eagle_eval.model_adapters.eagle.templates import IMAGE_TOKEN_INDEX


@pytest.fixture(scope="module")
def adapter() -> EagleAdapter:
    built = get_model_entry("eagle-tiny").factory(ModelOptions(device="cpu", batch_size=4))
    assert isinstance(built, EagleAdapter)
    return built


def _image(seed: int, width: int, height: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


def _requests() -> list[Request]:
    questions = ["What is written on the sign?", "Is there a dog? Please answer yes or no.",
                 "How many", "Describe the image in detail, mentioning every object you can see.",
                 "What year is shown?", "A. cat B. dog C. bird", "Title?", "What colour is the car?",
                 "Read the text.", "Which option is correct? Answer with the letter."]
    return [
        Request("t", "val", i, q, [_image(i, 30 + 9 * i, 50 - 2 * i)],
                GenerationSettings(max_new_tokens=2 + (i * 3) % 9))
        for i, q in enumerate(questions)
    ]


def test_adapter_meets_the_contract(adapter: EagleAdapter) -> None:
    assert isinstance(adapter, ModelAdapter)
    info = adapter.info()
    assert info.name == "eagle-tiny" and info.dtype == "float32" and info.device == "cpu"
    assert adapter.suggested_batch_size() == 4
    assert resolve_model_name("eagle-x5") == "eagle-x5-7b"


def test_batch_size_does_not_change_answers(adapter: EagleAdapter) -> None:
    requests = _requests()
    answers = {}
    for size in (1, 3, 8):
        adapter._batch_size = size
        answers[size] = adapter.generate(requests)
    adapter._batch_size = 4
    assert answers[1] == answers[3] == answers[8]
    assert len(set(answers[1])) > 3  # the random model's answers do depend on the input
    assert all(a == a.strip() for a in answers[1])
    stats = adapter.last_call_stats()
    assert stats.time_to_first_token_s > 0 and stats.tokens_generated > 0


def test_max_new_tokens_and_eos(adapter: EagleAdapter) -> None:
    model, tokenizer = adapter.model, adapter.tokenizer
    rows = [adapter.prompt_ids(r) for r in _requests()[:3]]
    pixels = torch.stack([torch.randn(3, 256, 256) for _ in rows])
    inputs = model.build_inputs(rows, model.encode_images(pixels))
    result = greedy_generate(model, tokenizer, inputs, [RowSpec(1), RowSpec(5), RowSpec(0)], eos_token_ids=[2])
    lengths = [len(t) for t in result.token_ids]
    assert lengths[0] == 1 and lengths[1] <= 5 and lengths[2] == 0 and result.texts[2] == ""
    # Declaring a row's first token to be EOS ends that row at once, with an empty answer.
    first = result.token_ids[1][0]
    ended = greedy_generate(model, tokenizer, inputs, [RowSpec(5)] * 3, eos_token_ids=[first])
    assert ended.token_ids[1] == [] and ended.texts[1] == ""


def test_stop_strings_cut_the_answer(adapter: EagleAdapter) -> None:
    request = _requests()[3]
    long = Request(request.task, request.split, request.doc_id, request.text, request.images,
                   GenerationSettings(max_new_tokens=12))
    full = adapter.generate([long])[0]
    assert len(full) >= 4
    stop = full[2:4]
    cut = Request(long.task, long.split, long.doc_id, long.text, long.images,
                  GenerationSettings(max_new_tokens=12, until=(stop,)))
    expected = full[: full.find(stop)].strip()
    assert adapter.generate([cut])[0] == expected


def test_cut_at_stop_strings_takes_the_earliest() -> None:
    assert cut_at_stop_strings("abc\n\nxyz", ["xyz", "\n\n"]) == ("abc", True)
    assert cut_at_stop_strings("abc", ["q"]) == ("abc", False)


def test_placeholders_take_images_in_order(adapter: EagleAdapter) -> None:
    a, b = _image(1, 40, 40), _image(2, 60, 30)
    two = Request("t", "val", 0, "First <image> then <image> compare.", [a, b], GenerationSettings(6))
    swapped = Request("t", "val", 0, "First <image> then <image> compare.", [b, a], GenerationSettings(6))
    ids = adapter.prompt_ids(two)
    assert ids.count(IMAGE_TOKEN_INDEX) == 2
    answers = adapter.generate([two, swapped, two])
    assert answers[0] == answers[2]
    with pytest.raises(ValueError, match="placeholder"):
        adapter.prompt_ids(Request("t", "val", 0, "<image>", [a, b]))


def test_prompt_prefixes_the_image_and_uses_the_template(adapter: EagleAdapter) -> None:
    request = Request("t", "val", 0, "What?", [_image(0, 20, 20)])
    ids = adapter.prompt_ids(request)
    assert ids[0] == adapter.tokenizer.bos_token_id
    slot = ids.index(IMAGE_TOKEN_INDEX)
    text_before = adapter.tokenizer.decode(ids[1:slot])
    # The piece before the image ends with the template's space, tokenized on its own (as in training).
    assert text_before == ("A chat between a curious user and an artificial intelligence assistant. The assistant "
                           "gives helpful, detailed, and polite answers to the user's questions. USER: ")
    assert adapter.tokenizer.convert_ids_to_tokens(ids[slot + 1:slot + 3]) == ["▁", "<0x0A>"]
    assert adapter.tokenizer.decode(ids[slot + 1:]).strip() == "What? ASSISTANT:"


def test_overlapped_preprocessing_and_vision_chunks_do_not_change_answers(adapter: EagleAdapter) -> None:
    # On a GPU the next batch is preprocessed in a worker thread; here the same pipeline is forced to
    # overlap on the CPU, and the experts see the images in chunks of 1, 2 or all.
    requests = _requests()
    prompts = [adapter.prompt_ids(r) for r in requests]
    work = [BatchWork(prompts=prompts[i:i + 3], images=[r.images[0] for r in requests[i:i + 3]],
                      specs=[RowSpec(r.generation.max_new_tokens) for r in requests[i:i + 3]])
            for i in range(0, len(requests), 3)]
    outputs = []
    for overlap, chunk in ((False, 8), (True, 1), (True, 2)):
        pipeline = BatchedPipeline(adapter.model, chunk, overlap=overlap)
        assert (pipeline._workers is not None) == overlap
        results = list(pipeline.run(work, adapter.tokenizer, adapter.loaded.eos_token_ids))
        assert all(r.extra["preprocess_s"] > 0 and r.extra["first_token_s"] > 0 for r in results)
        outputs.append([tokens for r in results for tokens in r.token_ids])
    assert outputs[0] == outputs[1] == outputs[2]
    assert BatchedPipeline(adapter.model, 8)._workers is None  # a CPU model preprocesses inline
