"""`run --blind` and `run --ablate-expert` through the runner: requests, calibration, fingerprints, results."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image

from eagle_eval.ablation.spec import ExpertCalibration, VisionExpert
from eagle_eval.api import registry
from eagle_eval.core.records import Request
from tests.conftest import ToyAdapter


@dataclass
class ToyExpertAdapter(ToyAdapter):
    """The toy model with a two-expert "tower": it records knock-outs and the images each request carries."""

    knockouts: list[tuple[list[str], str, list[tuple[int, int, int]]]] = field(default_factory=list)
    image_counts: list[int] = field(default_factory=list)

    def vision_experts(self) -> list[VisionExpert]:
        return [VisionExpert("clip-448", "CLIP", 0), VisionExpert("sam-1024", "SAM", 1)]

    def knock_out_experts(self, experts: Sequence[str], replacement: str,
                          calibration: Sequence[Image.Image]) -> dict[str, ExpertCalibration]:
        self.knockouts.append((list(experts), replacement, [image.getpixel((0, 0)) for image in calibration]))
        return {name: ExpertCalibration(images=len(calibration), digest=f"d{len(calibration)}") for name in experts}

    def generate(self, requests: Sequence[Request]) -> list[str]:
        self.image_counts.extend(len(r.images) for r in requests)
        return super().generate(requests)


def _results(tmp_path: Path, run_id: str) -> dict:
    return json.loads((tmp_path / "runs" / run_id / "results.json").read_text())


def _run_ids(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "runs").iterdir())


def test_blind_requests_carry_no_image_and_the_run_is_its_own(toy_world, toy_run, tmp_path) -> None:
    toy_world.new_adapter()
    assert toy_run().code == 0
    full_calls = len(toy_world.adapter.generated_keys)
    adapter = toy_world.adapter = ToyExpertAdapter()
    assert toy_run("--blind").code == 0
    assert adapter.image_counts and set(adapter.image_counts) == {0}
    assert len(adapter.generated_keys) == full_calls  # nothing resumed from the full run
    full_id, blind_id = sorted(_run_ids(tmp_path), key=len)
    assert blind_id.startswith("toy-model-blind__") and full_id.startswith("toy-model__")
    results = _results(tmp_path, blind_id)
    assert results["variant"] == {"label": "blind", "blind": True, "knocked_out": [], "replacement": None,
                                  "calibration": None}
    assert _results(tmp_path, full_id)["variant"] is None


def test_same_run_id_never_mixes_variants(toy_world, toy_run, tmp_path) -> None:
    adapter = toy_world.adapter = ToyExpertAdapter()
    assert toy_run("--run-id", "shared").code == 0
    assert toy_run("--run-id", "shared", "--ablate-expert", "sam").code == 0
    assert len(adapter.generated_keys) == 20  # the knock-out regenerated all ten docs
    assert toy_run("--run-id", "shared", "--ablate-expert", "sam").code == 0
    assert len(adapter.generated_keys) == 20  # and resumes into itself
    assert toy_run("--run-id", "shared", "--ablate-expert", "sam", "--ablate-replacement", "zeros").code == 0
    assert len(adapter.generated_keys) == 30  # another replacement is another variant


def test_knockout_calibrates_on_each_tasks_first_images(toy_world, toy_run, tmp_path) -> None:
    adapter = toy_world.adapter = ToyExpertAdapter()
    result = toy_run("--ablate-expert", "SAM", "--ablate-calibration-images", "3", tasks="toyqa,toypope")
    assert result.code == 0, result.err
    # ToyQA's image for doc i is red 20*i; ToyPope's are greyscale doc_id, adversarial split first.
    assert adapter.knockouts == [(["sam-1024"], "mean", [(0, 0, 0), (20, 0, 0), (40, 0, 0)]),
                                 (["sam-1024"], "mean", [0, 1, 2])]
    (run_id,) = _run_ids(tmp_path)
    assert run_id.startswith("toy-model-ko-sam__")
    results = _results(tmp_path, run_id)
    assert results["variant"]["label"] == "−SAM" and results["variant"]["replacement"] == "mean"
    assert results["variant"]["knocked_out"] == [{"expert": "sam-1024", "label": "SAM", "index": 1}]
    assert "first 3 images of each task" in results["variant"]["calibration"]
    assert results["results"]["toyqa"]["calibration"] == {"sam-1024": {"images": 3, "digest": "d3"}}


def test_zeros_needs_no_calibration(toy_world, toy_run, tmp_path) -> None:
    adapter = toy_world.adapter = ToyExpertAdapter()
    assert toy_run("--ablate-expert", "clip", "--ablate-replacement", "zeros").code == 0
    assert adapter.knockouts == [(["clip-448"], "zeros", [])]
    (run_id,) = _run_ids(tmp_path)
    results = _results(tmp_path, run_id)
    assert results["variant"]["label"] == "−CLIP (zeros)" and results["results"]["toyqa"]["calibration"] is None


@pytest.mark.parametrize(("flags", "message"), [
    (["--ablate-expert", "sam"], "toy-model has no vision experts to knock out"),
    (["--ablate-expert", "sam", "--blind"], "run --blind and --ablate-expert as two runs"),
])
def test_usage_errors_exit_2(toy_world, toy_run, flags: list[str], message: str) -> None:
    result = toy_run(*flags)
    assert result.code == 2 and message in result.err
    assert result.err.count("\n") <= 2  # one clear line, no traceback


def test_unknown_expert_names_the_models_experts(toy_world, toy_run, monkeypatch) -> None:
    toy_world.adapter = ToyExpertAdapter()
    result = toy_run("--ablate-expert", "pix2struct")
    assert result.code == 2
    assert "toy-model has no such vision expert" in result.err and "sam-1024 (SAM)" in result.err
    assert registry.resolve_model_name("toy") == "toy-model"
