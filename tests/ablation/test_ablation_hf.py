"""Blind and knock-out through the transformers VLM adapter: blind works through the runner's generic
path, knock-out is refused (the adapter has no experts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from eagle_eval.ablation.spec import Ablation, AblationError, blind_request
from eagle_eval.api.registry import ModelOptions, get_model_entry, get_task
from eagle_eval.model_adapters.hf.adapter import HFVisionLanguageAdapter
from eagle_eval.model_adapters.hf.tiny import write_tiny_vlm
from eagle_eval.run.runner import RunConfig, run_evaluation

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "hub"


@pytest.fixture(scope="module")
def adapter(tmp_path_factory: pytest.TempPathFactory) -> HFVisionLanguageAdapter:
    folder = write_tiny_vlm(tmp_path_factory.mktemp("tiny-llava") / "llava", "llava")
    built = get_model_entry(f"hf:{folder}").factory(ModelOptions(device="cpu", batch_size=4))
    assert isinstance(built, HFVisionLanguageAdapter)
    built.max_new_tokens_cap = 4
    return built


def test_blind_prompt_has_no_image_and_no_image_tokens(adapter: HFVisionLanguageAdapter) -> None:
    task = get_task("textvqa")
    request = task.build_request(task.load_docs(BUNDLED)[0])
    blind = blind_request(request)
    assert adapter.prompt(request) == f"USER: <image>\n{request.text} ASSISTANT:"
    assert adapter.prompt(blind) == f"USER: {request.text} ASSISTANT:"  # the image line, and only it, is gone
    ids = adapter.batch_inputs([adapter.prompt(blind)], [blind])["input_ids"][0]
    image_token = adapter.tokenizer.convert_tokens_to_ids("<image>")
    assert not torch.any(ids == image_token)


def test_blind_run_through_the_runner(adapter: HFVisionLanguageAdapter, tmp_path: Path) -> None:
    config = RunConfig(model=adapter.name, tasks=["textvqa", "pope"], output_dir=tmp_path, data_root=BUNDLED,
                       device="cpu", limit=2, show_progress=False, ablation=Ablation(blind=True))
    outcome = run_evaluation(config, adapter=adapter)
    results = json.loads(outcome.results_path.read_text())
    assert results["n_errors"] == 0 and results["variant"]["label"] == "blind"
    assert "-blind__" in outcome.run_dir.name


def test_knockout_is_refused_for_an_adapter_without_experts(adapter: HFVisionLanguageAdapter, tmp_path: Path) -> None:
    config = RunConfig(model=adapter.name, tasks=["textvqa"], output_dir=tmp_path, data_root=BUNDLED, device="cpu",
                       limit=1, show_progress=False, ablation=Ablation(experts=("sam",)))
    with pytest.raises(AblationError, match="has no vision experts to knock out"):
        run_evaluation(config, adapter=adapter)
