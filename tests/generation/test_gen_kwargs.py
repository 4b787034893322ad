"""--gen-kwargs: lmms-eval's parsing, checks, records, fingerprints, and the adapters applying them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from lmms_eval.utils import simple_parse_args_string

from eagle_eval.api.registry import ModelOptions, get_model_entry
from eagle_eval.core.records import GenerationSettings, Request
from eagle_eval.generation.gen_kwargs import GenKwargs, parse_gen_kwargs, parse_pairs, sample_seed
from eagle_eval.model_adapters.openai_api.adapter import OpenAIChatAdapter, OpenAISettings
from eagle_eval.run.config import RunConfig
from eagle_eval.run.fingerprints import compute_run_id
from tests.conftest import ToyAdapter, one_line_exit_2

DATA_ROOT = Path(__file__).resolve().parents[2] / "data" / "hub"


def test_the_text_parses_as_lmms_eval_parses_it():
    text = "temperature=0.2,max_new_tokens=64,do_sample=true,until=ASSISTANT,top_k=5"
    assert parse_pairs(text, "--gen-kwargs", "") == simple_parse_args_string(text)
    parsed = parse_gen_kwargs(text)
    assert parsed.to_json() == {"max_new_tokens": 64, "temperature": 0.2, "top_k": 5, "until": "ASSISTANT"}
    # A quoted stop string may hold a comma; no-op spellings lmms-eval users write are accepted.
    assert parse_gen_kwargs('until=", ",num_beams=1,top_p=1.0,temperature=0').to_json() == {"temperature": 0.0,
                                                                                             "until": ", "}
    assert parse_gen_kwargs("do_sample=true").temperature == 1.0


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("temprature=0.2", "temprature"),
        ("max_new_tokens=0", "max_new_tokens=0"),
        ("max_new_tokens=6.5", "max_new_tokens=6.5"),
        ("temperature=-1", "temperature=-1"),
        ("temperature=hot", "temperature=hot"),
        ("top_p=1.5,temperature=1", "top_p=1.5"),
        ("top_p=0.9", "top_p=0.9 has no effect"),
        ("num_beams=4", "num_beams=4"),
        ("do_sample=false,temperature=0.5", "contradict"),
        ("temperature=0.1,temperature=0.2", "more than once"),
        ("temperature", "is not KEY=VALUE"),
    ],
)
def test_bad_gen_kwargs_exit_2_with_one_line_naming_them(eagle, text, named):
    result = eagle("run", "--model", "eagle-tiny", "--tasks", "pope", "--gen-kwargs", text)
    assert named in one_line_exit_2(result)


def test_replayed_predictions_refuse_gen_kwargs(eagle, tmp_path):
    result = eagle("run", "--model", "replay", "--predictions", str(tmp_path), "--tasks", "pope",
                   "--gen-kwargs", "max_new_tokens=4")  # fmt: skip
    assert result.code == 2 and "--gen-kwargs cannot change replayed predictions" in result.err


def test_greedy_requests_keep_their_fingerprints_and_overrides_change_them():
    plain = GenerationSettings(max_new_tokens=16)
    assert plain.to_json() == {"max_new_tokens": 16, "until": []}  # the keys every stored fingerprint hashed
    request = Request("pope", "test", 3, "Is there a cat?", [])
    shorter = parse_gen_kwargs("max_new_tokens=4").apply(request)
    sampled = GenKwargs(temperature=0.5, seed=1).apply(request)
    reseeded = GenKwargs(temperature=0.5, seed=2).apply(request)
    prints = {r.prompt_fingerprint() for r in (request, shorter, sampled, reseeded)}
    assert len(prints) == 4
    assert shorter.generation.max_new_tokens == 4 and not shorter.generation.sampling
    assert sampled.generation.seed == sample_seed(1, request.key) != sample_seed(1, ("pope", "test", 4))


def test_gen_kwargs_enter_the_run_id():
    base = RunConfig(model="eagle-tiny", tasks=["pope"])
    with_kwargs = RunConfig(model="eagle-tiny", tasks=["pope"], gen_kwargs=parse_gen_kwargs("max_new_tokens=4"))
    other = RunConfig(model="eagle-tiny", tasks=["pope"], gen_kwargs=parse_gen_kwargs("max_new_tokens=5"))
    assert len({compute_run_id(base), compute_run_id(with_kwargs), compute_run_id(other)}) == 3


class RecordingAdapter(ToyAdapter):
    def __init__(self) -> None:
        super().__init__()
        self.settings: list[GenerationSettings] = []

    def generate(self, requests: Sequence[Request]) -> list[str]:
        self.settings.extend(r.generation for r in requests)
        return super().generate(requests)


def test_a_run_applies_records_and_warns(toy_world, eagle, tmp_path):
    toy_world.adapter = RecordingAdapter()
    args = ("run", "--model", "toy", "--tasks", "toyqa", "--output-dir", str(tmp_path), "--no-progress")
    plain = eagle(*args)
    assert plain.code == 0 and "warning" not in plain.err
    toy_world.adapter = adapter = RecordingAdapter()
    result = eagle(*args, "--gen-kwargs", "max_new_tokens=3,temperature=0.5,top_p=0.9")
    assert result.code == 0, result.err
    (warning,) = [line for line in result.err.splitlines() if "warning" in line]
    assert "leaves the paper protocol" in warning and "max_new_tokens=3" in warning
    assert {(s.max_new_tokens, s.temperature, s.top_p) for s in adapter.settings} == {(3, 0.5, 0.9)}
    assert len({s.seed for s in adapter.settings}) == 10  # each sample its own seed
    run_dirs = sorted(tmp_path.iterdir())
    assert len(run_dirs) == 2  # another run directory: never resumed into the greedy run
    (run_dir,) = [d for d in run_dirs if (d / "run.log").is_file() and "ProtocolWarning" in (d / "run.log").read_text()]
    results = json.loads((run_dir / "results.json").read_text())
    expected = {"max_new_tokens": 3, "temperature": 0.5, "top_p": 0.9}
    assert results["settings"]["gen_kwargs"] == expected
    task = results["results"]["toyqa"]
    assert task["gen_kwargs"] == expected and task["paper_protocol"] is False
    # compare says the two runs decoded differently (the toy model's answers ignore it, so they pair).
    (greedy_dir,) = [d for d in run_dirs if d != run_dir]
    compared = eagle("compare", str(run_dir), "--baseline", str(greedy_dir))
    assert "different generation settings (--gen-kwargs none vs max_new_tokens=3" in compared.out.replace("\n", " ")
    # Tables mark it as off the paper protocol; the greedy run's cell stays unmarked.
    assert "‡" in eagle("table", str(run_dir)).out and "‡" not in eagle("table", str(greedy_dir)).out
    # The same command again resumes its own directory, reusing every sample.
    toy_world.adapter = again = RecordingAdapter()
    assert eagle(*args, "--gen-kwargs", "max_new_tokens=3,temperature=0.5,top_p=0.9").code == 0
    assert again.settings == [] and len(list(tmp_path.iterdir())) == 2


@pytest.fixture(scope="module")
def tiny_eagle():
    torch.set_num_threads(1)
    return get_model_entry("eagle-tiny").factory(ModelOptions(device="cpu", dtype="fp32", batch_size=4))


def _requests(gen_kwargs: GenKwargs | None, n: int = 3) -> list[Request]:
    from PIL import Image

    requests = [Request("pope", "test", i, f"Is there a {word}?", [Image.new("RGB", (32, 32), (40 * i, 90, 200))],
                        GenerationSettings(max_new_tokens=24)) for i, word in enumerate(["cat", "dog", "car", "cup"][:n])]
    return [gen_kwargs.apply(r) for r in requests] if gen_kwargs else requests


@pytest.mark.slow  # building the tiny checkpoint
def test_eagle_applies_max_new_tokens_and_samples_per_row(tiny_eagle):
    greedy = tiny_eagle.generate(_requests(None))
    full_tokens = tiny_eagle.last_call_stats().tokens_generated
    short = tiny_eagle.generate(_requests(parse_gen_kwargs("max_new_tokens=2")))
    assert tiny_eagle.last_call_stats().tokens_generated <= 2 * 3 < full_tokens
    assert sum(map(len, short)) < sum(map(len, greedy))
    sampling = GenKwargs(temperature=1.5, seed=7)
    sampled = tiny_eagle.generate(_requests(sampling))
    assert sampled != greedy
    # Each row draws from its own generator: the same answers alone, in another batch, or again.
    alone = [tiny_eagle.generate([request])[0] for request in _requests(sampling)]
    assert alone == sampled == tiny_eagle.generate(_requests(sampling))
    assert tiny_eagle.generate(_requests(GenKwargs(temperature=1.5, seed=8))) != sampled


@pytest.mark.slow  # building the tiny checkpoint
def test_hf_adapter_applies_max_new_tokens_and_samples(tmp_path):
    from eagle_eval.model_adapters.hf.tiny import write_tiny_vlm

    torch.set_num_threads(1)
    folder = write_tiny_vlm(tmp_path / "llava", "llava")
    adapter = get_model_entry(f"hf:{folder}").factory(ModelOptions(device="cpu", batch_size=4))
    greedy = adapter.generate(_requests(None))
    full_tokens = adapter.last_call_stats().tokens_generated
    adapter.generate(_requests(parse_gen_kwargs("max_new_tokens=2")))
    assert adapter.last_call_stats().tokens_generated <= 2 * 3 < full_tokens
    sampling = GenKwargs(temperature=1.5, seed=7)
    sampled = adapter.generate(_requests(sampling))
    assert sampled != greedy
    assert [adapter.generate([r])[0] for r in _requests(sampling)] == sampled


def test_openai_adapter_sends_the_overrides():
    client = SimpleNamespace(endpoint=SimpleNamespace(model="m"))
    adapter = OpenAIChatAdapter("openai:m", client, OpenAISettings(seed=None))
    (greedy,) = _requests(None, 1)
    body = adapter.payload(greedy)
    assert body["temperature"] == 0.0 and body["max_tokens"] == 24 and "top_p" not in body and "seed" not in body
    (sampled,) = _requests(parse_gen_kwargs("temperature=0.7,top_p=0.8,top_k=20,max_new_tokens=9"), 1)
    body = adapter.payload(sampled)
    assert (body["temperature"], body["top_p"], body["top_k"], body["max_tokens"]) == (0.7, 0.8, 20, 9)
    assert body["seed"] == sampled.generation.seed
    adapter.close = lambda: None


def test_the_lmms_eval_plugin_samples_when_its_task_asks():
    from eagle_eval.generation.gen_kwargs import GenKwargsError
    from eagle_eval.model_adapters.lmms_eval_plugin import EagleEvalLMM

    lmm = EagleEvalLMM.__new__(EagleEvalLMM)  # no model: only the request translation is exercised
    lmm.sample_seed = 5
    (request,) = _requests(None, 1)
    # lmms-eval's POPE/MME YAMLs: greedy, with a top_p that means nothing then.
    assert lmm._sampled(request, {"temperature": 0, "top_p": 0, "do_sample": False, "num_beams": 1}) is request
    sampled = lmm._sampled(request, {"temperature": 0.7, "top_p": 0.9, "num_beams": 1})
    generation = sampled.generation
    assert (generation.temperature, generation.top_p, generation.seed) == (0.7, 0.9, sample_seed(5, request.key))
    with pytest.raises(GenKwargsError, match="top_p"):
        lmm._sampled(request, {"temperature": 0.7, "top_p": 5})
