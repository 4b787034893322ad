"""Knocking out SigLIP or ConvNeXt of the Eagle2-9B format (knockout.py), on the tiny checkpoint of the goldens
(tests/goldens/eagle2_9b, loaded as test_parity_9b_authors.py loads it) through the registered eagle2-9b entry:
mlp1's input, the calibration mean, and `eagle-eval run --ablate-expert` end to end."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from eagle_eval.ablation.spec import AblationError, SupportsExpertKnockout, resolve_experts
from eagle_eval.api.registry import ModelOptions, get_model_entry
from eagle_eval.cli import main
from eagle_eval.model_adapters.eagle2.chat_format import CONVNEXT, SIGLIP, Eagle2ChatModel
from eagle_eval.model_adapters.eagle2.knockout import Eagle2ChatAdapter
from eagle_eval.model_adapters.eagle2.modeling import pixel_shuffle
from eagle_eval.model_adapters.eagle2.tiling import normalize, preprocess_image

GOLDENS = Path(__file__).resolve().parents[2] / "goldens" / "eagle2_9b"
BUNDLED = Path(__file__).resolve().parents[3] / "data" / "hub"
EXPERTS = {"siglip": SIGLIP, "convnext": CONVNEXT}

pytestmark = pytest.mark.skipif(not (GOLDENS / "goldens.json").exists(), reason="no Eagle2-9B goldens")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The golden checkpoint with the tiny ConvNeXt sizes in its config.json (as test_parity_9b_authors.py)."""
    target = tmp_path_factory.mktemp("eagle2_9b") / "checkpoint"
    shutil.copytree(GOLDENS / "tiny-checkpoint", target)
    convnext = json.loads((GOLDENS / "goldens.json").read_text())["model"]["convnext"]
    config = json.loads((target / "config.json").read_text())
    config["vision_config"]["convnext_config"] = {"depths": convnext["depths"], "dims": convnext["dims"]}
    (target / "config.json").write_text(json.dumps(config))
    return target


@pytest.fixture(scope="module")
def adapter(checkpoint: Path) -> Eagle2ChatAdapter:
    built = get_model_entry("eagle2-9b").factory(ModelOptions(
        device="cpu", dtype="float32", model_path=str(checkpoint), extra={"protocol": "task"}))
    assert isinstance(built, Eagle2ChatAdapter)
    return built


@pytest.fixture(autouse=True)
def full_model(request: pytest.FixtureRequest):
    if "adapter" not in request.fixturenames:
        yield
        return
    model = request.getfixturevalue("adapter").model
    model.restore_experts()
    yield
    model.restore_experts()


def _image(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (20 + 9 * (seed % 5), 30 + 13 * (seed % 4), 3), dtype=np.uint8))


CALIBRATION = [_image(100 + i) for i in range(5)]


def _tiles(model: Eagle2ChatModel, images: list[Image.Image]) -> torch.Tensor:
    config = model.config
    return normalize(torch.cat([preprocess_image(image, config.max_dynamic_tiles, config.tile_size,
                                                 config.min_dynamic_tiles, config.use_thumbnail) for image in images]))


def _block_slices(model: Eagle2ChatModel) -> dict[str, slice]:
    siglip = model.block_channels(SIGLIP)
    return {"siglip": slice(0, siglip), "convnext": slice(siglip, siglip + model.block_channels(CONVNEXT))}


def _hand_mean(model: Eagle2ChatModel, expert: str) -> torch.Tensor:
    """The expert's block of mlp1's input averaged over every calibration tile, one image at a time through
    the full model's towers."""
    blocks = []
    with torch.no_grad():
        for image in CALIBRATION:
            tokens = model.tower_outputs(_tiles(model, [image]))[EXPERTS[expert]]
            blocks.append(pixel_shuffle(tokens, model.config.scale) if expert == "siglip" else tokens)
    return torch.cat(blocks).mean(dim=0)


def test_the_9b_format_offers_siglip_and_convnext(adapter: Eagle2ChatAdapter) -> None:
    assert isinstance(adapter, SupportsExpertKnockout)
    experts = adapter.vision_experts()
    assert [(e.name, e.label, e.index) for e in experts] == [("siglip", "SigLIP", 0), ("convnext", "ConvNeXt", 1)]
    spelled = resolve_experts(["ConvNeXt", "SIGLIP"], experts, "eagle2-9b")
    assert [e.name for e in spelled] == ["siglip", "convnext"]  # the model's channel order


@pytest.mark.parametrize("replacement", ["mean", "zeros"])
@pytest.mark.parametrize("expert", ["siglip", "convnext"])
def test_knockout_replaces_exactly_that_experts_channels(adapter: Eagle2ChatAdapter, expert: str,
                                                         replacement: str) -> None:
    model = adapter.model
    assert isinstance(model, Eagle2ChatModel)
    pixels = _tiles(model, [_image(1), _image(2)])
    calls = {name: 0 for name in EXPERTS.values()}
    hooks = [model.tower(name).register_forward_hook(lambda *_, name=name: calls.__setitem__(name, calls[name] + 1))
             for name in calls]
    try:
        full = model.vision_features(pixels)
        records = adapter.knock_out_experts([expert], replacement, CALIBRATION)
        calls.update(dict.fromkeys(calls, 0))
        knocked = model.vision_features(pixels)
    finally:
        for hook in hooks:
            hook.remove()
    other = next(name for name in EXPERTS if name != expert)
    assert calls == {EXPERTS[expert]: 0, EXPERTS[other]: 1}  # the knocked-out tower never ran
    assert model.knocked_out == (EXPERTS[expert],)
    blocks = _block_slices(model)
    assert knocked.shape == full.shape
    assert torch.equal(knocked[..., blocks[other]], full[..., blocks[other]])
    block = knocked[..., blocks[expert]]
    if replacement == "zeros":
        assert torch.count_nonzero(block) == 0 and records[expert].images == 0
    else:
        expected = _hand_mean(model, expert)
        torch.testing.assert_close(block, expected.expand_as(block), atol=1e-5, rtol=1e-4)
        assert records[expert].images == len(CALIBRATION)
    assert not torch.allclose(block, full[..., blocks[expert]], atol=1e-4)  # the image's own values are gone
    assert not torch.allclose(model.encode_tiles(pixels), model.project(full), atol=1e-4)  # and mlp1 sees it


def test_mean_is_over_every_tile_and_a_new_knockout_replaces_the_old(adapter: Eagle2ChatAdapter) -> None:
    model = adapter.model
    assert isinstance(model, Eagle2ChatModel)
    pixels = _tiles(model, [_image(3)])
    before = model.vision_features(pixels)
    mean = adapter.knock_out_experts(["convnext", "siglip"], "mean", CALIBRATION[::-1])  # another order
    assert model.knocked_out == (SIGLIP, CONVNEXT)
    for expert, tower in EXPERTS.items():
        replaced = model.replacement(tower)
        assert replaced is not None
        torch.testing.assert_close(replaced, _hand_mean(model, expert), atol=1e-5, rtol=1e-4)
    zeros = adapter.knock_out_experts(["siglip"], "zeros", CALIBRATION)
    assert model.knocked_out == (SIGLIP,)
    assert zeros["siglip"].digest != mean["siglip"].digest
    model.restore_experts()
    assert torch.equal(model.vision_features(pixels), before)


def test_unknown_experts_and_wrong_maps_are_refused(adapter: Eagle2ChatAdapter) -> None:
    model = adapter.model
    assert isinstance(model, Eagle2ChatModel)
    with pytest.raises(AblationError, match="no vision expert 'sam'.*siglip, convnext"):
        adapter.knock_out_experts(["sam"], "zeros", [])
    with pytest.raises(AblationError, match="needs calibration images"):
        adapter.knock_out_experts(["siglip"], "mean", [])
    with pytest.raises(ValueError, match=r"shape \[4, 32\]"):
        model.knock_out(CONVNEXT, torch.zeros(4, 128))
    assert model.knocked_out == ()


# --- eagle-eval run --ablate-expert ------------------------------------------------------------------------


def _run(checkpoint: Path, out: Path, *flags: str, model: str = "eagle2-9b") -> int:
    path = ["--model-path", str(checkpoint)] if model == "eagle2-9b" else []
    return main(["run", "--model", model, *path, "--tasks", "textvqa", "--limit", "2", "--data-root",
                 str(BUNDLED), "--output-dir", str(out), "--device", "cpu", "--no-progress",
                 "--model-arg", "max_new_tokens=4", *flags])


def test_run_with_each_expert_knocked_out_records_the_ablation(checkpoint: Path, tmp_path: Path) -> None:
    for flags in ([], ["--ablate-expert", "siglip", "--ablate-calibration-images", "2"],
                  ["--ablate-expert", "ConvNeXt", "--ablate-replacement", "zeros"]):
        assert _run(checkpoint, tmp_path, *flags) == 0
    runs = {p.name.split("__")[0]: json.loads((p / "results.json").read_text()) for p in tmp_path.iterdir()}
    assert sorted(runs) == ["eagle2-9b", "eagle2-9b-ko-convnext", "eagle2-9b-ko-siglip"]
    full, siglip, convnext = runs["eagle2-9b"], runs["eagle2-9b-ko-siglip"], runs["eagle2-9b-ko-convnext"]
    assert full["variant"] is None and full["results"]["textvqa"]["calibration"] is None
    assert siglip["variant"]["label"] == "−SigLIP" and siglip["variant"]["replacement"] == "mean"
    assert siglip["variant"]["knocked_out"] == [{"expert": "siglip", "label": "SigLIP", "index": 0}]
    assert "first 2 images of each task" in siglip["variant"]["calibration"]
    assert siglip["results"]["textvqa"]["calibration"]["siglip"]["images"] == 2
    assert convnext["variant"]["label"] == "−ConvNeXt (zeros)"
    assert convnext["variant"]["knocked_out"] == [{"expert": "convnext", "label": "ConvNeXt", "index": 1}]
    assert convnext["results"]["textvqa"]["calibration"] is None
    fingerprints = {name: run["results"]["textvqa"]["model_fingerprint"] for name, run in runs.items()}
    assert len(set(fingerprints.values())) == 3  # no variant resumes from, or into, another
    assert all(run["n_errors"] == 0 for run in runs.values())


def test_run_refuses_an_unknown_expert_and_the_eagle2_5_format(checkpoint: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert _run(checkpoint, tmp_path / "unknown", "--ablate-expert", "sam") == 2
    err = capsys.readouterr().err
    assert "eagle2-9b has no such vision expert" in err and "siglip (SigLIP), convnext (ConvNeXt)" in err
    assert _run(checkpoint, tmp_path / "single", "--ablate-expert", "siglip", model="eagle2.5-tiny") == 2
    assert "eagle2.5-tiny has no vision experts to knock out" in capsys.readouterr().err
