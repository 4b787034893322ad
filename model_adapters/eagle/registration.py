"""Register every Eagle (v1) preset (and its aliases) with the model registry.

Importing this module is cheap: torch and transformers load only when a factory builds a model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eagle_eval.model_adapters.eagle.presets import PRESETS, Preset
from eagle_eval.registry import ModelEntry, ModelOptions, register_model, reject_model_args

if TYPE_CHECKING:
    from eagle_eval.model_adapters.eagle.adapter import EagleAdapter


def build_adapter(preset: Preset, options: ModelOptions) -> EagleAdapter:
    """Load the preset's checkpoint (or `options.model_path`) and wrap it in an adapter."""
    import torch

    from eagle_eval.model_adapters.eagle.adapter import EagleAdapter

    reject_model_args("eagle", options.extra)
    from eagle_eval.model_adapters.eagle.checkpoint import load_eagle

    torch.manual_seed(options.seed)
    revision = options.revision or preset.revision
    if options.model_path:
        source = options.model_path
    elif preset.tiny:
        from eagle_eval.model_adapters.eagle.tiny import ensure_tiny_checkpoint

        source, revision = str(ensure_tiny_checkpoint(preset.name)), None
    else:
        source = preset.hub_id
    loaded = load_eagle(source, revision=revision, device=options.device, dtype=options.dtype,
                        released_preset=not preset.tiny)
    return EagleAdapter(preset.name, loaded, hub_id=preset.hub_id, revision=revision,
                        batch_size=options.batch_size,
                        truncate_inputs=parse_switch(options.extra.get("truncate_inputs", True), "truncate_inputs"))


def parse_switch(value: object, name: str) -> bool:
    """A model option given as a bool or as text (true/false, yes/no, on/off, 1/0)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0"):
        return False
    raise ValueError(f"model option {name}={value!r} is not a switch; use true or false")


def _factory(preset: Preset):
    def factory(options: ModelOptions) -> EagleAdapter:
        return build_adapter(preset, options)

    return factory


def _details(preset: Preset) -> dict[str, object]:
    details: dict[str, object] = {
        "preset": preset.name,
        "llm": preset.llm_name,
        "experts": preset.experts,
        "mm_vision_tower": preset.mm_vision_tower,
        "template": preset.template,
        "revision": preset.revision,
    }
    if preset.aliases:
        details["aliases_note"] = ", ".join(f"{a} resolves to {preset.name}" for a in preset.aliases)
    if not preset.tiny:
        details["revision_note"] = "pinned to 'main' (hub commit not recorded offline); pass --revision to pin"
    return details


def register_eagle_models() -> None:
    for preset in PRESETS.values():
        description = preset.description
        if preset.aliases:
            description += f" [alias: {', '.join(preset.aliases)}]"
        register_model(ModelEntry(name=preset.name, factory=_factory(preset), description=description,
                                  hub_id=preset.hub_id, aliases=preset.aliases, details=_details(preset)))


register_eagle_models()
