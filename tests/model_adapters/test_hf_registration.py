"""`hf:` names, presets and --model-arg checking of the transformers adapter (no model is built)."""

from __future__ import annotations

from pathlib import Path

import pytest

from eagle_eval.api.registry import UnknownNameError, get_model_entry, model_schemes, resolve_model_name
from eagle_eval.model_adapters.hf.presets import HF_PRESETS
from eagle_eval.model_adapters.hf.registration import HF_MODEL_ARGS, HFModelArgError, parse_model_args
from eagle_eval.results.reference import load_reference_rows
from eagle_eval.run.config import RunConfig
from eagle_eval.run.fingerprints import compute_run_id
from tests.conftest import one_line_exit_2


def test_hf_names_resolve_to_hub_ids_or_folders(tmp_path: Path) -> None:
    entry = get_model_entry("hf:llava-hf/llava-1.5-7b-hf")
    assert entry.name == "hf:llava-hf/llava-1.5-7b-hf" and entry.hub_id == "llava-hf/llava-1.5-7b-hf"
    local = get_model_entry(f"hf:{tmp_path}")
    assert local.hub_id is None and local.name == f"hf:{tmp_path}"
    with pytest.raises(UnknownNameError, match="hf:<hub id or local folder>"):
        get_model_entry("hf:")
    with pytest.raises(UnknownNameError, match="hf:<hub id or local folder>"):
        resolve_model_name("nosuchmodel")
    assert model_schemes()["hf"] == "hub id or local folder"


def test_presets_name_the_llava_hf_conversions_and_their_published_rows() -> None:
    assert get_model_entry("llava-1.5-7b").hub_id == "llava-hf/llava-1.5-7b-hf"
    assert get_model_entry("llava-next-vicuna-7b").hub_id == "llava-hf/llava-v1.6-vicuna-7b-hf"
    assert resolve_model_name("llava-1.6-vicuna-13b") == "llava-next-vicuna-13b"
    labels = {row.label for row in load_reference_rows()}
    for preset in HF_PRESETS.values():
        assert preset.reference in labels, preset.name
        # tables pair a run with the published row of the same name (case-insensitive)
        assert preset.reference.lower() == preset.name.lower()
        assert preset.revision is None  # never an invented commit


def test_model_args_are_checked_and_listed() -> None:
    assert parse_model_args({}) == {}
    assert parse_model_args({"trust_remote_code": "true"}) == {"trust_remote_code": True}
    assert parse_model_args({"trust_remote_code": "0"}) == {"trust_remote_code": False}
    assert parse_model_args({"max_new_tokens": "8"}) == {"max_new_tokens": 8}
    with pytest.raises(HFModelArgError) as info:
        parse_model_args({"trust_remote": "true"})
    message = str(info.value)
    assert "trust_remote" in message and all(key in message for key in HF_MODEL_ARGS)
    with pytest.raises(HFModelArgError, match="expected true or false"):
        parse_model_args({"trust_remote_code": "maybe"})
    with pytest.raises(HFModelArgError, match="positive integer"):
        parse_model_args({"max_new_tokens": "0"})
    with pytest.raises(HFModelArgError, match="no such file"):
        parse_model_args({"chat_template": "/nonexistent/template.jinja"})


def test_remote_code_stays_off_unless_asked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import eagle_eval.model_adapters.hf.loading as loading

    seen: list[bool] = []

    def fake_load(source, how):
        seen.append(how.trust_remote_code)
        raise loading.HFLoadError("stop here")

    monkeypatch.setattr(loading, "load_vlm", fake_load)
    from eagle_eval.api.registry import ModelOptions

    entry = get_model_entry(f"hf:{tmp_path}")
    for extra in ({}, {"trust_remote_code": "true"}):
        with pytest.raises(loading.HFLoadError):
            entry.factory(ModelOptions(device="cpu", extra=extra))
    assert seen == [False, True]


def test_a_missing_checkpoint_is_one_line_exit_2(eagle, tmp_path: Path) -> None:
    result = eagle("run", "--model", f"hf:{tmp_path / 'nothing-here'}", "--tasks", "textvqa", "--limit", "1",
                   "--data-root", str(Path(__file__).resolve().parents[2] / "data" / "hub"),
                   "--output-dir", str(tmp_path / "runs"), "--device", "cpu", "--no-progress")
    # Refused in the plan, before anything loads: a local path that is not there is not a hub id.
    assert f"no such checkpoint folder {tmp_path / 'nothing-here'}" in one_line_exit_2(result)
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(("hub_id", "native"), [
    ("nvidia/Eagle2.5-8B", "eagle2.5-8b"), ("nvidia/eagle2.5-8b", "eagle2.5-8b"), ("NVIDIA/EAGLE2-1B", "eagle2-1b"),
    ("nvidia/Eagle2-2B", "eagle2-2b"), ("nvidia/Eagle2-9b", "eagle2-9b"),
])
def test_an_eagle2_hub_id_is_refused_in_the_plan_naming_the_native_model(eagle, tmp_path: Path, monkeypatch,
                                                                           hub_id: str, native: str) -> None:
    import eagle_eval.model_adapters.hf.registration as registration

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the hf adapter was built: weights or remote code would have loaded")

    monkeypatch.setattr(registration, "build_adapter", never)
    result = eagle("run", "--model", f"hf:{hub_id}", "--tasks", "textvqa", "--limit", "1",
                   "--data-root", str(Path(__file__).resolve().parents[2] / "data" / "hub"),
                   "--output-dir", str(tmp_path / "runs"), "--device", "cpu", "--no-progress")
    assert one_line_exit_2(result) == (
        f"eagle-eval: error: model 'hf:{hub_id}': Eagle 2/2.5 checkpoints need remote code written for "
        f"transformers 4.x; use --model {native} (the native adapter)")
    assert not (tmp_path / "runs").exists()


def test_other_nvidia_hub_ids_and_local_eagle2_folders_are_not_refused(tmp_path: Path) -> None:
    assert get_model_entry("hf:nvidia/Eagle2-9B-extra").hub_id == "nvidia/Eagle2-9B-extra"
    folder = tmp_path / "Eagle2-1B"
    folder.mkdir()
    assert get_model_entry(f"hf:{folder}").hub_id is None  # a local folder is the user's own checkpoint


def test_run_directory_of_an_hf_name_is_one_folder() -> None:
    run_id = compute_run_id(RunConfig(model="hf:/some/folder/model", tasks=["textvqa"]))
    assert "/" not in run_id and ":" not in run_id and run_id.startswith("hf_some_folder_model__")


def test_model_args_reach_only_adapters_that_take_them(eagle, tmp_path: Path) -> None:
    data = str(Path(__file__).resolve().parents[2] / "data" / "hub")
    common = ("--tasks", "textvqa", "--limit", "1", "--data-root", data, "--output-dir", str(tmp_path), "--no-progress")
    eagle_run = eagle("run", "--model", "eagle-tiny", "--model-arg", "system_prompt=hi", *common)
    assert eagle_run.code == 2 and "eagle-tiny does not take it; valid keys: truncate_inputs" in eagle_run.err
    malformed = eagle("run", "--model", "eagle-tiny", "--model-arg", "system_prompt", *common)
    assert malformed.code == 2 and "expected KEY=VALUE" in malformed.err
    twice = eagle("run", "--model", "hf:x/y", "--model-arg", "a=1", "--model-arg", "a=2", *common)
    assert twice.code == 2 and "given more than once" in twice.err


def test_model_args_enter_the_run_id() -> None:
    plain = RunConfig(model="hf:x/y", tasks=["textvqa"])
    assert compute_run_id(plain) == compute_run_id(RunConfig(model="hf:x/y", tasks=["textvqa"], model_args={}))
    assert compute_run_id(plain) != compute_run_id(RunConfig(model="hf:x/y", tasks=["textvqa"],
                                                             model_args={"system_prompt": "hi"}))
