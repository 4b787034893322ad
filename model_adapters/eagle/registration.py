"""Register every Eagle (v1) preset (and its aliases) with the model registry.

Importing this module is cheap: torch and transformers load only when a factory builds a model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eagle_eval.api.registry import ModelArg, ModelEntry, ModelOptions, register_model
from eagle_eval.model_adapters.eagle.capabilities import capabilities_for
from eagle_eval.model_adapters.eagle.presets import PRESETS, Preset
from eagle_eval.model_adapters.eagle.vision_config import EXPERT_LABELS

if TYPE_CHECKING:
    from eagle_eval.model_adapters.eagle.adapter import EagleAdapter


def build_adapter(preset: Preset, options: ModelOptions) -> EagleAdapter:
    """Load the preset's checkpoint (or `options.model_path`) and wrap it in an adapter."""
    import torch

    from eagle_eval.model_adapters.eagle.adapter import EagleAdapter
    from eagle_eval.model_adapters.eagle.checkpoint import load_eagle

    torch.manual_seed(options.seed)
    revision: str | None = options.revision or preset.revision
    if options.model_path:
        source = options.model_path
    elif preset.tiny:
        from eagle_eval.model_adapters.eagle.tiny import ensure_tiny_checkpoint

        source, revision = str(ensure_tiny_checkpoint(preset.name)), None
    else:
        assert preset.hub_id is not None  # only the tiny presets, built locally, have no hub repository
        source = preset.hub_id
    loaded = load_eagle(source, revision=revision, device=options.device, dtype=options.dtype,
                        released_preset=not preset.tiny)
    vision_batch_size = options.extra.get("vision_batch_size")
    return EagleAdapter(preset.name, loaded, hub_id=preset.hub_id, revision=revision,
                        batch_size=options.batch_size,
                        vision_batch_size=_positive_int(vision_batch_size) if vision_batch_size is not None else None,
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


def _positive_int(text: object) -> int:
    try:
        value = int(str(text))
    except ValueError:
        raise ValueError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise ValueError(f"expected a positive integer, got {text!r}")
    return value


MODEL_ARGS = (
    ModelArg("truncate_inputs", "true (default) or false: cut inputs to the checkpoint's tokenizer_model_max_length "
             "as the authors' inference did", check=lambda text: parse_switch(text, "truncate_inputs")),
    ModelArg("vision_batch_size", "images per vision-tower call (default 16 on GPU, 8 on CPU); speed only",
             check=_positive_int),
)


def _factory(preset: Preset):
    def factory(options: ModelOptions) -> EagleAdapter:
        return build_adapter(preset, options)

    return factory


def _notes(preset: Preset) -> tuple[str, ...]:
    notes = [f"{a} resolves to {preset.name}" for a in preset.aliases]
    experts = ", ".join(f"{name} ({EXPERT_LABELS[name]})" for name in preset.mm_vision_tower.split(";"))
    notes.append(f"vision experts (names for --ablate-expert, docs/ablations.md): {experts}")
    if not preset.tiny:
        notes.append("pinned to 'main' (hub commit not recorded offline); pass --revision to pin")
    return tuple(notes)


def register_eagle_models() -> None:
    for preset in PRESETS.values():
        description = preset.description
        if preset.aliases:
            description += f" [alias: {', '.join(preset.aliases)}]"
        register_model(ModelEntry(
            name=preset.name, factory=_factory(preset), description=description, hub_id=preset.hub_id,
            aliases=preset.aliases, family="eagle", preset=preset.name, revision=preset.revision,
            llm=preset.llm_name, vision=tuple(preset.mm_vision_tower.split(";")), template=preset.template,
            notes=_notes(preset), model_args=MODEL_ARGS, capabilities=capabilities_for(preset.name),
        ))


register_eagle_models()
