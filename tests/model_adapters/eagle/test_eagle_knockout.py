"""Knocking out one vision expert of eagle-tiny, and the blind (no-image) request, through the real adapter."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from eagle_eval.ablation.spec import SupportsExpertKnockout, blind_request
from eagle_eval.api.registry import ModelOptions, get_model_entry
from eagle_eval.core.records import GenerationSettings, Request
from eagle_eval.model_adapters.eagle.adapter import EagleAdapter
from eagle_eval.model_adapters.eagle.preprocessing import preprocess_images
from eagle_eval.model_adapters.eagle.templates import IMAGE_TOKEN_INDEX
from eagle_eval.model_adapters.eagle.vision_config import X5_VISION_TOWER

EXPERTS = X5_VISION_TOWER.split(";")


@pytest.fixture(scope="module")
def adapter() -> EagleAdapter:
    built = get_model_entry("eagle-tiny").factory(ModelOptions(device="cpu", batch_size=4))
    assert isinstance(built, EagleAdapter)
    return built


@pytest.fixture(autouse=True)
def full_tower(adapter: EagleAdapter):
    adapter.model.vision_tower.restore_experts()
    yield
    adapter.model.vision_tower.restore_experts()


def _image(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (40 + 7 * (seed % 9), 60 - 3 * (seed % 9), 3), dtype=np.uint8))


CALIBRATION = [_image(100 + i) for i in range(5)]
QUESTIONS = ["What is written on the sign?", "Is there a red car in the image?", "What year is shown?",
             "How many bars are there?", "What is the title of this chart?", "Is there a dog?",
             "Which option is correct? A. cat B. dog", "What colour is the car?"]


def _requests() -> list[Request]:
    return [Request("t", "val", i, q, [_image(i)], GenerationSettings(max_new_tokens=6))
            for i, q in enumerate(QUESTIONS)]


def _logits(adapter: EagleAdapter, requests: list[Request]) -> torch.Tensor:
    rows = [adapter.prompt_ids(r) for r in requests]
    pixels = preprocess_images([r.images[0] for r in requests], adapter.config.vision.image_size)
    return adapter.model(rows, pixels)


def _hand_means(adapter: EagleAdapter) -> list[torch.Tensor]:
    """Each expert's map averaged over the calibration images, one image at a time through the full tower."""
    tower = adapter.model.vision_tower
    with torch.no_grad():
        maps = [tower.expert_features(preprocess_images([image], tower.config.image_size)) for image in CALIBRATION]
    return [torch.stack([per_image[i][0] for per_image in maps]).mean(dim=0) for i in range(len(EXPERTS))]


def test_adapter_offers_its_experts(adapter: EagleAdapter) -> None:
    assert isinstance(adapter, SupportsExpertKnockout)
    assert [(e.name, e.label) for e in adapter.vision_experts()] == [
        ("clip-448", "CLIP"), ("convnext-1024", "ConvNeXt"), ("sam-1024", "SAM"), ("det-1024", "EVA-02"),
        ("pix2struct-1024", "Pix2Struct")]


@pytest.mark.parametrize("index", range(len(EXPERTS)))
def test_knockout_equals_replacing_the_experts_output_by_hand(adapter: EagleAdapter, index: int) -> None:
    requests = _requests()[:2]
    tower = adapter.model.vision_tower
    grid = tower.config.grid_size
    replacement = torch.randn(tower.config.expert_channels(EXPERTS[index]), grid, grid,
                              generator=torch.Generator().manual_seed(index))

    def replace_output(module, inputs, output):
        # A grid-sized map passes the tower's resize untouched, so this is the block the LLM sees.
        return replacement.unsqueeze(0).expand(output.shape[0], -1, -1, -1)

    full = _logits(adapter, requests)
    hook = tower.vision_towers[index].register_forward_hook(replace_output)
    try:
        by_hand = _logits(adapter, requests)
    finally:
        hook.remove()
    tower.knock_out(EXPERTS[index], replacement)
    assert torch.equal(_logits(adapter, requests), by_hand)
    assert not torch.allclose(by_hand, full, atol=1e-3)  # the replaced block does reach the logits


def test_mean_replacement_is_the_experts_mean_map_over_the_calibration_images(adapter: EagleAdapter) -> None:
    expected = _hand_means(adapter)
    records = adapter.knock_out_experts(EXPERTS, "mean", CALIBRATION[::-1])  # batched, another order
    for name, mean in zip(EXPERTS, expected, strict=True):
        torch.testing.assert_close(adapter.model.vision_tower.replacement(name), mean, atol=1e-5, rtol=1e-4)
        assert records[name].images == len(CALIBRATION)


@pytest.mark.parametrize("index", range(len(EXPERTS)))
def test_knocked_out_expert_is_skipped_and_the_others_run_unchanged(adapter: EagleAdapter, index: int) -> None:
    tower = adapter.model.vision_tower
    seen: dict[int, list[tuple[torch.Tensor, torch.Tensor]]] = {i: [] for i in range(len(EXPERTS))}
    hooks = [expert.register_forward_hook(lambda m, args, out, i=i: seen[i].append((args[0].clone(), out.clone())))
             for i, expert in enumerate(tower.vision_towers)]
    pixels = preprocess_images([_image(i) for i in range(2)], tower.config.image_size)
    try:
        with torch.no_grad():
            tower(pixels)
            full = {i: list(calls) for i, calls in seen.items()}
            adapter.knock_out_experts([EXPERTS[index]], "zeros", [])
            for calls in seen.values():
                calls.clear()
            fused = tower(pixels)
    finally:
        for hook in hooks:
            hook.remove()
    assert seen[index] == []  # its forward pass never ran
    for other in set(seen) - {index}:
        (full_in, full_out), = full[other]
        (in_, out), = seen[other]
        assert torch.equal(in_, full_in) and torch.equal(out, full_out)
    widths = [tower.config.expert_channels(name) for name in EXPERTS]
    start = sum(widths[:index])
    assert torch.count_nonzero(fused[..., start:start + widths[index]]) == 0
    assert torch.count_nonzero(fused) > 0


@pytest.mark.slow
def test_each_knockout_changes_answers(adapter: EagleAdapter) -> None:
    requests = _requests()
    full = adapter.generate(requests)
    changed = {}
    for name in EXPERTS:
        adapter.knock_out_experts([name], "mean", CALIBRATION)
        answers = adapter.generate(requests)
        changed[name] = sum(a != b for a, b in zip(full, answers, strict=True))
    adapter.model.vision_tower.restore_experts()
    assert adapter.generate(requests) == full
    assert all(count > 0 for count in changed.values()), changed


def test_mean_and_zeros_replacements_differ_and_are_recorded(adapter: EagleAdapter) -> None:
    mean = adapter.knock_out_experts(["sam-1024", "clip-448"], "mean", CALIBRATION)
    assert adapter.model.vision_tower.knocked_out == ("clip-448", "sam-1024")
    zeros = adapter.knock_out_experts(["sam-1024"], "zeros", CALIBRATION)
    assert adapter.model.vision_tower.knocked_out == ("sam-1024",)  # a new knock-out replaces the old
    assert zeros["sam-1024"].images == 0 and mean["sam-1024"].images == len(CALIBRATION)
    assert zeros["sam-1024"].digest != mean["sam-1024"].digest


def test_knock_out_rejects_a_wrong_map_and_an_unknown_expert(adapter: EagleAdapter) -> None:
    tower = adapter.model.vision_tower
    with pytest.raises(ValueError, match=r"shape \[32, 8, 8\]"):
        tower.knock_out("sam-1024", torch.zeros(32, 4, 4))
    with pytest.raises(KeyError, match="no expert 'sam'"):
        tower.knock_out("sam", torch.zeros(32, 8, 8))


# --- blind -----------------------------------------------------------------------------------------

def test_blind_request_has_no_image_tokens_and_drops_only_the_image_line(adapter: EagleAdapter) -> None:
    request = _requests()[0]
    blind = blind_request(request)
    full_ids, blind_ids = adapter.prompt_ids(request), adapter.prompt_ids(blind)
    assert full_ids.count(IMAGE_TOKEN_INDEX) == 1 and IMAGE_TOKEN_INDEX not in blind_ids
    assert blind.images == [] and blind.text == request.text
    # The prompt is the template around the question with the "<image>\n" line taken out.
    full_prompt = adapter.template.prompt("<image>\n" + request.text)
    blind_prompt = adapter.template.prompt(request.text)
    assert full_prompt.replace("<image>\n", "") == blind_prompt
    assert blind_ids == adapter.tokenizer(blind_prompt).input_ids
    assert len(blind_ids) < len(full_ids)
    answers = adapter.generate([blind_request(r) for r in _requests()])
    assert len(answers) == len(QUESTIONS) and all(isinstance(a, str) for a in answers)
