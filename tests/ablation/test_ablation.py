"""The ablation spec: expert names, labels, the blind request's text, and usage errors."""

from __future__ import annotations

import pytest
from PIL import Image

from eagle_eval.ablation.spec import (
    Ablation,
    AblationError,
    VisionExpert,
    blind_request,
    check_adapter_supports,
    resolve_experts,
    strip_image_placeholders,
    variant_label,
)
from eagle_eval.core.records import GenerationSettings, Request

X5 = [VisionExpert(name, label, index) for index, (name, label) in enumerate(
    [("clip-448", "CLIP"), ("convnext-1024", "ConvNeXt"), ("sam-1024", "SAM"), ("det-1024", "EVA-02"),
     ("pix2struct-1024", "Pix2Struct")])]


@pytest.mark.parametrize(("text", "stripped"), [
    ("<image>\nWhat is this?", "What is this?"),  # the usual single-image line
    ("<image> <image>\nCompare them.", "Compare them."),
    ("Which of <image> and <image> is larger?", "Which of and is larger?"),  # MMMU: inline placeholders
    ("Question:\n<image>\nOptions: A. 1", "Question:\nOptions: A. 1"),
    ("No image here.", "No image here."),
    ("Trailing <image>", "Trailing"),
])
def test_strip_image_placeholders(text: str, stripped: str) -> None:
    assert strip_image_placeholders(text) == stripped


def test_blind_request_keeps_everything_but_the_images() -> None:
    request = Request("mmmu", "validation", 3, "See <image> then answer.", [Image.new("RGB", (2, 2))],
                      GenerationSettings(max_new_tokens=16))
    blind = blind_request(request)
    assert blind.images == [] and blind.text == "See then answer."
    assert (blind.task, blind.split, blind.doc_id, blind.generation) == (
        request.task, request.split, request.doc_id, request.generation)
    assert blind.prompt_fingerprint() != request.prompt_fingerprint()
    assert request.images  # the original is untouched


@pytest.mark.parametrize(("name", "expected"), [("sam", "sam-1024"), ("SAM", "sam-1024"), ("sam-1024", "sam-1024"),
                                                ("eva-02", "det-1024"), ("det", "det-1024"),
                                                ("Pix2Struct", "pix2struct-1024"), ("convnext", "convnext-1024")])
def test_expert_names_resolve(name: str, expected: str) -> None:
    assert [e.name for e in resolve_experts([name], X5, "eagle-x5-7b")] == [expected]


def test_experts_come_back_in_model_order_and_label_the_variant() -> None:
    chosen = resolve_experts(["sam", "clip"], X5, "eagle-x5-7b")
    assert [e.name for e in chosen] == ["clip-448", "sam-1024"]
    assert variant_label(chosen, "mean", False) == "−CLIP −SAM"
    assert variant_label(chosen[1:], "zeros", False) == "−SAM (zeros)"
    assert variant_label([], "mean", True) == "blind"
    assert variant_label([], "mean", False) == ""


def test_unknown_expert_names_the_models_experts() -> None:
    with pytest.raises(AblationError, match=r"eagle-x4-7b has no such vision expert.*clip-448 \(CLIP\)"):
        resolve_experts(["sam"], [e for e in X5 if e.label != "SAM"], "eagle-x4-7b")


def test_adapter_without_experts_is_a_clear_error() -> None:
    with pytest.raises(AblationError, match="has no vision experts to knock out.*--blind works with every model"):
        check_adapter_supports(Ablation(experts=("sam",)), object(), "some-vlm")
    assert check_adapter_supports(Ablation(blind=True), object(), "some-vlm") == []


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"experts": ("sam",), "blind": True}, "two runs"),
    ({"experts": ("sam",), "replacement": "noise"}, "choose one of mean, zeros"),
    ({"experts": ("sam",), "calibration_images": 0}, "at least 1"),
    ({"experts": ("sam", "sam")}, "twice"),
])
def test_contradictory_ablations_are_usage_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(AblationError, match=message):
        Ablation(**kwargs)


def test_fingerprint_payload() -> None:
    assert Ablation().fingerprint_payload() is None  # the full model's run ids do not move
    assert Ablation(blind=True).fingerprint_payload() == {"blind": True}
    mean = Ablation(experts=("sam",)).fingerprint_payload()
    assert mean == {"experts": ["sam"], "replacement": "mean", "calibration_images": 64}
    assert Ablation(experts=("sam",), replacement="zeros").fingerprint_payload() == {
        "experts": ["sam"], "replacement": "zeros"}
