"""The transformers VLM adapter on tiny random LLaVA-1.5, LLaVA-NeXT and Qwen2-VL checkpoints written to disk.

The checkpoints are built from configs (random weights, fixed seed), saved with `save_pretrained`
together with their processors, and loaded back through `--model hf:<folder>`: the same path a hub
checkpoint takes. Nothing is downloaded.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from eagle_eval.api.adapter import ModelAdapter
from eagle_eval.api.registry import ModelOptions, get_model_entry, get_task, task_names
from eagle_eval.core.records import GenerationSettings, Request
from eagle_eval.model_adapters.hf.adapter import HFVisionLanguageAdapter
from eagle_eval.model_adapters.hf.generation import RowSpec, greedy_generate
from eagle_eval.model_adapters.hf.tiny import IMAGE_TEXT, TINY_KINDS, write_tiny_vlm
from eagle_eval.run.runner import RunConfig, run_evaluation

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "hub"


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    # Two threads on a shared 2-core machine make these millisecond-sized matmuls ~30x slower.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tiny_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny-vlm")
    return {kind: write_tiny_vlm(root / kind, kind) for kind in TINY_KINDS}


@pytest.fixture(scope="module")
def adapters(tiny_dirs: dict[str, Path]) -> dict[str, HFVisionLanguageAdapter]:
    built = {}
    for kind, folder in tiny_dirs.items():
        adapter = get_model_entry(f"hf:{folder}").factory(ModelOptions(device="cpu", batch_size=4))
        assert isinstance(adapter, HFVisionLanguageAdapter)
        built[kind] = adapter
    return built


def _image(seed: int, width: int, height: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


def _requests() -> list[Request]:
    questions = ["What is written on the sign?", "Is there a dog? Please answer yes or no.", "How many",
                 "Describe the image in detail, mentioning every object you can see.", "What year is shown?",
                 "A. cat B. dog C. bird", "Title?", "What colour is the car?", "Read the text.",
                 "Which option is correct? Answer with the letter."]
    requests = [Request("t", "val", i, q, [_image(i, 30 + 9 * i, 50 - 2 * i)],
                        GenerationSettings(max_new_tokens=2 + (i * 3) % 9)) for i, q in enumerate(questions)]
    # Two inline images (MMMU-style) of different shapes: LLaVA-NeXT and Qwen2-VL give them different token counts.
    requests.append(Request("t", "val", 10, "Compare <image> with <image> now.", [_image(20, 40, 40), _image(21, 80, 30)],
                            GenerationSettings(max_new_tokens=7)))
    return requests


def test_adapter_meets_the_contract(adapters: dict[str, HFVisionLanguageAdapter], tiny_dirs) -> None:
    for kind, adapter in adapters.items():
        assert isinstance(adapter, ModelAdapter)
        info = adapter.info()
        assert info.name == f"hf:{tiny_dirs[kind]}" and info.dtype == "float32" and info.device == "cpu"
        expected = {"llava": "LlavaForConditionalGeneration", "llava-next": "LlavaNextForConditionalGeneration",
                    "qwen2-vl": "Qwen2VLForConditionalGeneration"}
        assert info.extra["model_class"] == expected[kind]
        assert info.extra["trust_remote_code"] is False and info.extra["chat_template_sha256"]
        assert adapter.tokenizer.padding_side == "left"


@pytest.mark.parametrize("kind", TINY_KINDS)
def test_batch_size_does_not_change_answers(adapters: dict[str, HFVisionLanguageAdapter], kind: str) -> None:
    adapter = adapters[kind]
    requests = _requests()
    answers = {}
    for size in (1, 3, 8):
        adapter._batch_size = size
        answers[size] = adapter.generate(requests)
    adapter._batch_size = 4
    assert answers[1] == answers[3] == answers[8]
    assert len(set(answers[1])) > 3  # the random model's answers depend on the input
    stats = adapter.last_call_stats()
    assert stats.time_to_first_token_s > 0 and stats.tokens_generated > 0


def test_each_row_keeps_its_own_budget(adapters: dict[str, HFVisionLanguageAdapter]) -> None:
    adapter = adapters["llava"]
    requests = _requests()[:3]
    inputs = adapter.batch_inputs([adapter.prompt(r) for r in requests], requests)
    out = greedy_generate(adapter.model, adapter.tokenizer, inputs, [RowSpec(1), RowSpec(6), RowSpec(0)],
                          adapter.eos_token_ids, adapter.pad_token_id)
    assert len(out.token_ids[0]) == 1 and len(out.token_ids[2]) == 0 and out.texts[2] == ""
    assert 1 <= len(out.token_ids[1]) <= 6
    # The 1-token row of the batch is the first token of the same row decoded with more room.
    longer = greedy_generate(adapter.model, adapter.tokenizer, inputs, [RowSpec(6)] * 3,
                             adapter.eos_token_ids, adapter.pad_token_id)
    assert longer.token_ids[0][:1] == out.token_ids[0] and longer.token_ids[1] == out.token_ids[1]
    # Declaring the first token of a row an EOS ends that row at once, empty.
    first = longer.token_ids[1][0]
    ended = greedy_generate(adapter.model, adapter.tokenizer, inputs, [RowSpec(6)] * 3, [first], adapter.pad_token_id)
    assert ended.token_ids[1] == [] and ended.texts[1] == ""


def test_stop_strings_cut_the_answer(adapters: dict[str, HFVisionLanguageAdapter]) -> None:
    adapter = adapters["llava-next"]
    request = _requests()[3]
    long = Request(request.task, request.split, request.doc_id, request.text, request.images, GenerationSettings(12))
    full = adapter.generate([long])[0]
    assert len(full) >= 4
    stop = full[2:4]
    cut = Request(long.task, long.split, long.doc_id, long.text, long.images, GenerationSettings(12, until=(stop,)))
    assert adapter.generate([cut, long]) == [full[: full.find(stop)].strip(), full]


def test_textvqa_prompt_is_the_chat_template_of_the_request(adapters: dict[str, HFVisionLanguageAdapter]) -> None:
    task = get_task("textvqa")
    request = task.build_request(task.load_docs(BUNDLED)[0])
    assert "<image>" not in request.text and len(request.images) == 1
    for kind, adapter in adapters.items():
        by_hand = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": request.text}]}]
        expected = adapter.processor.apply_chat_template(by_hand, add_generation_prompt=True, tokenize=False)
        assert adapter.prompt(request) == expected
        # The fixtures' template, read off its source: "USER: ", each image as its image text, the text, " ASSISTANT:".
        assert expected == f"USER: {IMAGE_TEXT[kind]}{request.text} ASSISTANT:"
        ids = adapter.batch_inputs([expected], [request])["input_ids"][0].tolist()
        direct = adapter.processor(text=[expected], images=request.images, return_tensors="pt")["input_ids"][0]
        assert ids == direct.tolist() and ids[0] == adapter.tokenizer.bos_token_id


def test_mmmu_images_sit_where_the_question_puts_them(adapters: dict[str, HFVisionLanguageAdapter]) -> None:
    task = get_task("mmmu")
    requests = [task.build_request(doc) for doc in task.load_docs(BUNDLED)]
    request = next(r for r in requests if r.text.count("<image>") >= 1 and not r.text.startswith("<image>"))
    before, _, after = request.text.partition("<image>")
    for kind, adapter in adapters.items():
        prompt = adapter.prompt(request)
        assert prompt == "USER: " + request.text.replace("<image>", IMAGE_TEXT[kind]) + " ASSISTANT:"
        assert prompt.startswith(f"USER: {before}{IMAGE_TEXT[kind]}")
        parts = [{"type": "text", "text": before}, {"type": "image"}]
        rest = after.split("<image>")
        for index, piece in enumerate(rest):
            if piece:
                parts.append({"type": "text", "text": piece})
            if index < len(rest) - 1:
                parts.append({"type": "image"})
        by_hand = [{"role": "user", "content": parts}]
        assert prompt == adapter.processor.apply_chat_template(by_hand, add_generation_prompt=True, tokenize=False)


@pytest.mark.slow
def test_every_bundled_task_runs_through_the_adapter(adapters: dict[str, HFVisionLanguageAdapter], tmp_path: Path) -> None:
    for kind, adapter in adapters.items():
        adapter.max_new_tokens_cap = 6  # the random models rarely emit EOS; the cap keeps the run short
        try:
            outcome = run_evaluation(
                RunConfig(model=adapter.name, tasks=task_names(), output_dir=tmp_path / kind, data_root=BUNDLED,
                          device="cpu", batch_size=8, show_progress=False),
                adapter=adapter,
            )
        finally:
            adapter.max_new_tokens_cap = None
        results = json.loads(outcome.results_path.read_text())
        assert sorted(results["results"]) == task_names()
        assert results["n_errors"] == 0, kind
        assert outcome.run_dir.parent == tmp_path / kind  # `hf:/a/folder` is one directory name
        for name in task_names():
            lines = (outcome.run_dir / "samples" / f"{name}.jsonl").read_text().splitlines()
            assert len(lines) == len(get_task(name).load_docs(BUNDLED)), name


def test_a_run_records_its_model_args_and_the_adapter_facts(tiny_dirs, eagle, tmp_path: Path) -> None:
    common = ("--model", f"hf:{tiny_dirs['llava']}", "--tasks", "textvqa", "--limit", "2", "--data-root", str(BUNDLED),
              "--device", "cpu", "--no-progress")
    result = eagle("run", *common, "--model-arg", "max_new_tokens=3", "--output-dir", str(tmp_path / "a"))
    assert result.code == 0, result.err
    (results_path,) = (tmp_path / "a").glob("*/results.json")
    results = json.loads(results_path.read_text())
    assert results["settings"]["model_args"] == {"max_new_tokens": "3"}
    extra = results["model"]["extra"]
    assert extra["max_new_tokens_cap"] == 3 and extra["trust_remote_code"] is False
    assert extra["model_class"] == "LlavaForConditionalGeneration"
    bad = eagle("run", *common, "--model-arg", "trust_remote=true", "--output-dir", str(tmp_path / "b"))
    # The registry checks the keys before any data or weights load, listing the valid ones.
    assert bad.code == 2 and "--model-arg trust_remote: model hf:" in bad.err and "valid keys:" in bad.err
    assert "trust_remote_code" in bad.err
    worse = eagle("run", *common, "--model-arg", "max_new_tokens=none", "--output-dir", str(tmp_path / "c"))
    assert worse.code == 2 and "--model-arg max_new_tokens=none: expected a positive integer" in worse.err


def test_dtype_is_applied_to_weights_and_images(tiny_dirs) -> None:
    adapter = get_model_entry(f"hf:{tiny_dirs['llava-next']}").factory(ModelOptions(device="cpu", dtype="bfloat16"))
    assert adapter.info().dtype == "bfloat16"
    request = _requests()[0]
    inputs = adapter.batch_inputs([adapter.prompt(request)], [request])
    assert inputs["pixel_values"].dtype == torch.bfloat16 and inputs["input_ids"].dtype == torch.int64
    assert len(adapter.generate([request])) == 1
    from eagle_eval.model_adapters.hf.loading import HFLoadError

    with pytest.raises(HFLoadError, match="unknown dtype 'fp8'; choose one of float32, float16, bfloat16 or auto"):
        get_model_entry(f"hf:{tiny_dirs['llava']}").factory(ModelOptions(device="cpu", dtype="fp8"))


def test_template_system_prompt_and_cap_change_the_sample_fingerprint(adapters) -> None:
    adapter = adapters["llava"]
    before = adapter.info().fingerprint()
    adapter.system_prompt = "Answer briefly."
    with_system = adapter.info().fingerprint()
    request = _requests()[0]
    assert adapter.prompt(request).startswith("Answer briefly. USER: ")
    adapter.system_prompt, adapter.max_new_tokens_cap = None, 4
    capped = adapter.info().fingerprint()
    adapter.max_new_tokens_cap = None
    assert len({before, with_system, capped}) == 3 and adapter.info().fingerprint() == before
