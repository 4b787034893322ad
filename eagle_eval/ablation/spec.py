"""Ablations of one model, as evaluations: vision experts knocked out, and the blind (no-image) baseline.

- **Expert knock-out** needs an adapter with vision experts (`SupportsExpertKnockout`): the checkpoint
  is unchanged, the expert is not run, and its channel block of the fused features is replaced by a
  fixed map before the projector: `mean` (the default: the expert's mean map over a calibration set,
  the first `calibration_images` images of each task in dataset order, so the projector's input stays
  in the range it was trained on and the run measures what the expert's *information* is worth) or
  `zeros` (an off-distribution input; the drop then mixes lost information with a shifted input).
- **Blind** works for every adapter: the runner strips each request of its images and of the image
  placeholders in its text before the adapter sees it, so the prompt is the same question with no image
  line and no image tokens (not a grey image), and the score is what the LLM answers from the text alone.

Both are a run's `Ablation`; it enters the run id and every sample's fingerprint, and results.json
records it as the run's `variant` (docs/ablations.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, runtime_checkable

from PIL import Image

from eagle_eval.core.records import IMAGE_PLACEHOLDER, Request
from eagle_eval.results.document import VariantRecord

REPLACEMENTS: tuple[str, ...] = ("mean", "zeros")
DEFAULT_REPLACEMENT = "mean"
DEFAULT_CALIBRATION_IMAGES = 64
BLIND_LABEL = "blind"


class AblationError(ValueError):
    """An ablation that cannot be run as asked (a usage error: exit code 2)."""


@dataclass(frozen=True)
class VisionExpert:
    """One vision expert of a model: the adapter's name (`sam-1024`) and a short label for tables (`SAM`)."""

    name: str
    label: str
    index: int = 0  # its place in the tower (the channel order), which orders table columns


@dataclass(frozen=True)
class ExpertCalibration:
    """What a knocked-out expert's replacement was made from, for one task."""

    images: int  # images the mean was taken over (0 for zeros)
    digest: str  # sha256 prefix of the replacement map's values, to tell two calibrations apart


@runtime_checkable
class SupportsExpertKnockout(Protocol):
    """An adapter whose vision tower is made of named experts that can be knocked out one by one."""

    def vision_experts(self) -> Sequence[VisionExpert]: ...

    def knock_out_experts(self, experts: Sequence[str], replacement: str,
                          calibration: Sequence[Image.Image]) -> dict[str, ExpertCalibration]:
        """Replace each named expert (as `vision_experts` names it) from now on; `calibration` holds the
        images a `mean` replacement is computed from. Calling it again replaces the previous knock-out."""
        ...


@dataclass(frozen=True)
class Ablation:
    """What a run takes away from the model. The default takes nothing away (the full model)."""

    experts: tuple[str, ...] = ()  # as the user named them; `resolve_experts` maps them to the adapter's
    replacement: str = DEFAULT_REPLACEMENT
    calibration_images: int = DEFAULT_CALIBRATION_IMAGES
    blind: bool = False

    def __post_init__(self) -> None:
        if self.replacement not in REPLACEMENTS:
            raise AblationError(f"--ablate-replacement {self.replacement!r} is not known; "
                                f"choose one of {', '.join(REPLACEMENTS)}")
        if self.calibration_images < 1:
            raise AblationError(f"--ablate-calibration-images must be at least 1, got {self.calibration_images}")
        if self.blind and self.experts:
            raise AblationError("--blind removes the image, so there is no expert left to knock out; "
                                "run --blind and --ablate-expert as two runs")
        if len(set(self.experts)) != len(self.experts):
            raise AblationError(f"--ablate-expert names an expert twice: {list(self.experts)}")

    @property
    def is_full(self) -> bool:
        return not self.experts and not self.blind

    @property
    def uses_calibration(self) -> bool:
        return bool(self.experts) and self.replacement == "mean"

    @property
    def run_id_suffix(self) -> str:
        """Readable run directory names: `eagle-x5-7b-blind__…`, `eagle-x5-7b-ko-sam__…`."""
        if self.blind:
            return "-blind"
        if self.experts:
            return "-ko-" + "-".join(sorted(re.sub(r"[^a-z0-9]+", "", e.lower()) for e in self.experts))
        return ""

    def fingerprint_payload(self) -> dict[str, Any] | None:
        """What about the ablation changes predictions; None for the full model, so its run ids stay put."""
        if self.is_full:
            return None
        if self.blind:
            return {"blind": True}
        payload: dict[str, Any] = {"experts": sorted(self.experts), "replacement": self.replacement}
        if self.uses_calibration:
            payload["calibration_images"] = self.calibration_images
        return payload


def resolve_experts(requested: Sequence[str], available: Sequence[VisionExpert], model: str) -> list[VisionExpert]:
    """The adapter's experts for the names the user gave, in the model's order.

    A name matches an expert's full name (`sam-1024`), the part before its resolution (`sam`) or its
    label (`SAM`, `EVA-02`), ignoring case and punctuation.
    """
    def normal(text: str) -> str:
        return re.sub(r"[^a-z0-9]", "", text.lower())

    keys: dict[str, VisionExpert] = {}
    for expert in available:
        for key in (expert.name, expert.name.split("-")[0], expert.label):
            keys.setdefault(normal(key), expert)
    chosen: list[VisionExpert] = []
    for name in requested:
        found = keys.get(normal(name))
        if found is None:
            names = ", ".join(f"{e.name} ({e.label})" for e in available)
            raise AblationError(f"--ablate-expert {name!r}: {model} has no such vision expert; its experts "
                                f"are {names} (see: eagle-eval models show {model})")
        if found in chosen:
            raise AblationError(f"--ablate-expert names {found.name} twice")
        chosen.append(found)
    return [expert for expert in available if expert in chosen]


def check_adapter_supports(ablation: Ablation, adapter: object, model: str) -> list[VisionExpert]:
    """The experts to knock out, or an AblationError when the adapter has none to offer."""
    if not ablation.experts:
        return []
    if not isinstance(adapter, SupportsExpertKnockout):
        raise AblationError(f"--ablate-expert: the model {model} has no vision experts to knock out "
                            "(only adapters with a multi-expert vision tower, such as Eagle's, do); "
                            "--blind works with every model")
    return resolve_experts(ablation.experts, adapter.vision_experts(), model)


def variant_label(knocked_out: Sequence[VisionExpert], replacement: str, blind: bool) -> str:
    """`−SAM`, `−SAM −CLIP (zeros)`, `blind`, or "" for the full model."""
    if blind:
        return BLIND_LABEL
    if not knocked_out:
        return ""
    label = " ".join(f"−{expert.label}" for expert in knocked_out)
    return label if replacement == DEFAULT_REPLACEMENT else f"{label} ({replacement})"


def variant_record(ablation: Ablation, experts: Sequence[VisionExpert]) -> VariantRecord | None:
    """results.json's `variant` for a run: None for the full model."""
    if ablation.is_full:
        return None
    if ablation.blind:
        return VariantRecord(label=BLIND_LABEL, blind=True)
    calibration = (f"the first {ablation.calibration_images} images of each task, in dataset order"
                   if ablation.uses_calibration else None)
    return VariantRecord(label=variant_label(experts, ablation.replacement, False),
                         knocked_out=[{"expert": e.name, "label": e.label, "index": e.index} for e in experts],
                         replacement=ablation.replacement, calibration=calibration)


# --- blind requests ----------------------------------------------------------------------------

# A run of placeholders with the whitespace around them, taken out as one piece.
_PLACEHOLDER_WITH_SPACE = re.compile(r"\s*(?:" + re.escape(IMAGE_PLACEHOLDER) + r"\s*)+")


def strip_image_placeholders(text: str) -> str:
    """The text without its `<image>` placeholders or the line/space each one took.

    `<image>\\nQ` → `Q`; `Look at <image> and answer` → `Look at and answer`; `A:\\n<image>\\nB` → `A:\\nB`.
    """
    def join(match: re.Match[str]) -> str:
        at_edge = match.start() == 0 or match.end() == len(text)
        if at_edge:
            return ""
        return "\n" if "\n" in match.group() else " " if match.group().strip() != match.group() else ""

    return _PLACEHOLDER_WITH_SPACE.sub(join, text)


def blind_request(request: Request) -> Request:
    """The same request with no images: placeholders and their lines removed from the text."""
    return replace(request, text=strip_image_placeholders(request.text), images=[])
