"""The core knows no model: imports, capabilities, typed per-call stats, --model-arg checking.

A second model family, registered here from the test, gets `models show --state-dict/--flops` and
`bench` through `ModelCapabilities`, exactly as Eagle does; nothing in eagle_eval/ or tasks/ imports
Eagle's package.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eagle_eval.api import registry
from eagle_eval.api.adapter import AdapterError, CallStats, ReportsCallStats
from eagle_eval.api.registry import ModelArg, ModelCapabilities, ModelEntry, SampleFlops
from tests.conftest import one_line_exit_2

from ..project.test_module_layering import ROOT, imported_modules, modules_under

EAGLE_PACKAGE = "eagle_eval.model_adapters.eagle"


def test_no_core_or_task_module_imports_the_eagle_package() -> None:
    offenders = {}
    for folder in ("eagle_eval", "tasks"):
        for path in modules_under(folder):
            hits = sorted(m for m in imported_modules(path) if m == EAGLE_PACKAGE or m.startswith(EAGLE_PACKAGE + "."))
            if hits:
                offenders[str(path.relative_to(ROOT))] = hits
    assert not offenders


def test_the_walker_would_catch_a_function_level_import(tmp_path: Path) -> None:
    sneaky = tmp_path / "probe.py"
    sneaky.write_text("def f():\n    from eagle_eval.model_adapters.eagle.flops import count_sample_flops\n"
                      "    import eagle_eval.model_adapters.eagle\n")
    assert imported_modules(sneaky) >= {f"{EAGLE_PACKAGE}.flops", EAGLE_PACKAGE}


def _second_family(calls: list) -> ModelEntry:
    def tensors() -> list[tuple[str, tuple[int, ...]]]:
        return [("encoder.weight", (4, 8)), ("head.bias", (8,))]

    def flops(text_tokens: int, new_tokens: int) -> SampleFlops:
        return SampleFlops(description=f"{text_tokens} text tokens, {new_tokens} new tokens",
                           parts={"encoder": 1.5e12, "decoder": 0.5e12}, total=2.0e12)

    def bench(argv) -> int:
        calls.append(list(argv))
        return 0

    return ModelEntry(name="other-vlm", factory=lambda options: None, family="other",
                      capabilities=ModelCapabilities(checkpoint_tensors=tensors, sample_flops=flops, bench=bench,
                                                     bench_default=True),
                      model_args=(ModelArg("resolution", "input side in pixels", check=int),))


def test_a_second_family_offers_its_own_model_commands(toy_world, eagle) -> None:
    calls: list = []
    registry.register_model(_second_family(calls))
    listing = eagle("models", "show", "other-vlm", "--state-dict")
    assert listing.code == 0 and listing.out.splitlines() == ["encoder.weight\t[4, 8]", "head.bias\t[8]"]
    flops = eagle("models", "show", "other-vlm", "--flops", "--text-tokens", "10", "--new-tokens", "2")
    assert flops.code == 0
    assert flops.out.splitlines()[1:] == ["encoder\t1.500", "decoder\t0.500", "total\t2.000"]
    assert "10 text tokens, 2 new tokens" in flops.out.splitlines()[0]
    assert eagle("bench", "--samples", "3").code == 0  # the bench_default entry
    assert eagle("bench", "--model", "other-vlm", "--x").code == 0
    assert calls == [["--samples", "3"], ["--x"]]
    shown = json.loads(eagle("models", "show", "other-vlm", "--json").out)
    assert shown["details"]["family"] == "other"
    assert shown["details"]["capabilities"] == ["state-dict", "flops", "bench"]
    assert shown["details"]["model_args"] == {"resolution": "input side in pixels"}


def test_models_without_a_capability_say_so_with_exit_2(toy_world, eagle) -> None:
    calls: list = []
    registry.register_model(_second_family(calls))
    flops = eagle("models", "show", "toy-model", "--flops")
    assert flops.code == 2 and "offers no FLOP count" in flops.err and "other-vlm" in flops.err
    bench = eagle("bench", "--model", "toy-model")
    assert bench.code == 2 and "has no speed benchmark" in bench.err
    # replay loads no weights: nothing to list, and it says why
    replay = eagle("models", "show", "replay", "--state-dict")
    assert replay.code == 0 and "loads no weights" in replay.out


def test_eagle_reaches_the_cli_through_its_registry_entry() -> None:
    entry = registry.get_model_entry("eagle-x5-7b")
    assert entry.family == "eagle" and entry.capabilities.offered() == ["state-dict", "flops", "bench"]
    assert entry.capabilities.bench_default and not registry.get_model_entry("eagle-x4-7b").capabilities.bench_default
    assert entry.vision == ("clip-448", "convnext-1024", "sam-1024", "det-1024", "pix2struct-1024")
    assert {arg.name for arg in entry.model_args} == {"truncate_inputs", "vision_batch_size"}


def test_model_args_are_checked_against_the_keys_the_adapter_declares(toy_world, toy_run, tmp_path) -> None:
    calls: list = []
    registry.register_model(_second_family(calls))
    unknown = toy_run("--model-arg", "colour=blue", model="other-vlm")
    assert unknown.code == 2
    assert "colour" in unknown.err and "valid keys: resolution" in unknown.err
    bad = toy_run("--model-arg", "resolution=big", model="other-vlm")
    assert bad.code == 2 and "resolution=big" in bad.err
    none = toy_run("--model-arg", "x=1")  # the toy model declares no keys
    assert none.code == 2 and "takes no --model-arg" in none.err
    assert not (tmp_path / "runs").exists()  # refused before anything ran


def test_model_args_enter_the_run_id_and_results(toy_world, toy_run, tmp_path) -> None:
    toy = registry.get_model_entry("toy-model")
    registry.register_model(ModelEntry(name="toy-model", factory=toy.factory, hub_id=toy.hub_id, needs_torch=False,
                                       model_args=(ModelArg("style", "answer style"),)))
    assert toy_run("--model-arg", "style=a").code == 0
    assert toy_run("--model-arg", "style=b").code == 0
    runs = sorted((tmp_path / "runs").iterdir())
    assert len(runs) == 2  # different settings, different run directories
    recorded = {json.loads((run / "results.json").read_text())["settings"]["model_args"]["style"] for run in runs}
    assert recorded == {"a", "b"}


def test_typed_call_stats_reach_the_results(toy_world, toy_run, tmp_path) -> None:
    assert isinstance(toy_world.adapter, ReportsCallStats)
    assert toy_run("--batch-size", "4").code == 0
    (run,) = list((tmp_path / "runs").iterdir())
    timings = json.loads((run / "results.json").read_text())["results"]["toyqa"]["timings"]
    # ToyAdapter reports 0.25 s to the first token and two tokens per request for each call.
    assert timings["time_to_first_token_s"] == 0.25
    assert timings["tokens_generated"] == 2 * 10
    assert timings["tokens_per_second"] > 0


def test_model_info_extra_reaches_the_results(toy_world, toy_run, tmp_path, monkeypatch) -> None:
    from dataclasses import replace

    plain = toy_world.adapter.info()
    monkeypatch.setattr(type(toy_world.adapter), "info", lambda self: replace(plain, extra={"template": "t1"}))
    assert toy_run().code == 0
    (run,) = list((tmp_path / "runs").iterdir())
    assert json.loads((run / "results.json").read_text())["model"]["extra"] == {"template": "t1"}


def test_adapter_errors_are_input_errors(toy_world, toy_run) -> None:
    from eagle_eval.model_adapters.eagle.checkpoint import CheckpointError

    assert issubclass(CheckpointError, AdapterError)

    def broken(options):
        raise AdapterError("checkpoint /x does not fit its config; re-download it")

    registry.register_model(ModelEntry(name="broken", factory=broken, needs_torch=False))
    assert "does not fit its config" in one_line_exit_2(toy_run(model="broken"))


def test_call_stats_are_a_typed_record() -> None:
    stats = CallStats(seconds=1.0, time_to_first_token_s=0.1, tokens_generated=5)
    assert stats.notes == () and stats.timings == {}
    with pytest.raises(AttributeError):
        stats.seconds = 2.0  # type: ignore[misc]
