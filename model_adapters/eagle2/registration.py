"""Register every Eagle 2 / 2.5 preset with the model registry.

Importing this module is cheap: torch and transformers load only when a factory builds a model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eagle_eval.api.registry import ModelArg, ModelEntry, ModelOptions, register_model
from eagle_eval.model_adapters.eagle2.capabilities import capabilities_for
from eagle_eval.model_adapters.eagle2.presets import PRESETS, Preset

if TYPE_CHECKING:
    from eagle_eval.model_adapters.eagle2.adapter import Eagle2Adapter

PROTOCOL_CHOICES = ("eagle2", "task")


def _positive_int(text: object) -> int:
    try:
        value = int(str(text))
    except ValueError:
        raise ValueError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise ValueError(f"expected a positive integer, got {text!r}")
    return value


def _protocol(text: object) -> str:
    value = str(text).strip().lower()
    if value not in PROTOCOL_CHOICES:
        raise ValueError(f"protocol={text!r} is not one of {', '.join(PROTOCOL_CHOICES)}")
    return value


MODEL_ARGS = (
    ModelArg("protocol", "eagle2 (default: NVIDIA's published Eagle 2 evaluation settings per benchmark: prompts, "
             "tiles, upscaling, 8192 new tokens) or task (each task's own prompt and budget)", check=_protocol),
    ModelArg("max_new_tokens", "a cap on every request's token budget, for smoke runs (off the protocol; recorded)",
             check=_positive_int),
    ModelArg("vision_batch_size", "tiles per vision-model call (default 32 on GPU, 8 on CPU); speed only",
             check=_positive_int),
)


def build_adapter(preset: Preset, options: ModelOptions) -> Eagle2Adapter:
    """Load the preset's checkpoint (or `options.model_path`) and wrap it in an adapter."""
    import torch

    from eagle_eval.model_adapters.eagle2.adapter import Eagle2Adapter, Eagle2Settings
    from eagle_eval.model_adapters.eagle2.chat_format import Eagle2ChatConfig
    from eagle_eval.model_adapters.eagle2.checkpoint import load_eagle2
    from eagle_eval.model_adapters.eagle2.knockout import Eagle2ChatAdapter
    torch.manual_seed(options.seed)
    revision: str | None = options.revision or preset.revision
    if options.model_path:
        source = options.model_path
    elif preset.tiny:
        from eagle_eval.model_adapters.eagle2.tiny import ensure_tiny_checkpoint

        source, revision = str(ensure_tiny_checkpoint()), None
    else:
        assert preset.hub_id is not None  # only the tiny preset, built locally, has no hub repository
        source = preset.hub_id
    loaded = load_eagle2(source, revision=revision, device=options.device, dtype=options.dtype,
                         released_preset=not preset.tiny)
    extra = options.extra
    settings = Eagle2Settings(
        protocol=_protocol(extra.get("protocol", "eagle2")),
        max_new_tokens=_positive_int(extra["max_new_tokens"]) if "max_new_tokens" in extra else None,
        batch_size=options.batch_size,
        vision_batch_size=_positive_int(extra["vision_batch_size"]) if "vision_batch_size" in extra else None,
    )
    # The original Eagle 2 format (9B) has two experts to knock out; the Eagle 2.5 format's one encoder has none.
    kind = Eagle2ChatAdapter if isinstance(loaded.config, Eagle2ChatConfig) else Eagle2Adapter
    return kind(preset.name, loaded, hub_id=preset.hub_id, revision=revision, settings=settings)


def _factory(preset: Preset):
    def factory(options: ModelOptions) -> Eagle2Adapter:
        return build_adapter(preset, options)

    return factory


def _notes(preset: Preset) -> tuple[str, ...]:
    notes = []
    if preset.format == "eagle2":
        notes.append("original Eagle 2 format (Eagle2ChatModel: SigLIP at 448 + ConvNeXt-XXL at 512, channel concat), "
                     "checked against goldens from NVIDIA's code on a tiny checkpoint only")
        notes.append("vision experts for --ablate-expert: siglip (SigLIP), convnext (ConvNeXt); docs/ablations.md")
    if not preset.tiny:
        notes.append("pinned to 'main' (hub commit not recorded offline); pass --revision to pin")
    notes.append("evaluation protocol: NVIDIA's Eagle 2 settings per benchmark (--model-arg protocol=task for the "
                 "task's own); docs/model.md")
    return tuple(notes)


def register_eagle2_models() -> None:
    for preset in PRESETS.values():
        register_model(ModelEntry(
            name=preset.name, factory=_factory(preset), description=preset.description, hub_id=preset.hub_id,
            family="eagle2", preset=preset.name, revision=None if preset.tiny else preset.revision,
            llm=preset.llm_name, vision=(preset.vision_name,), template="qwen2-chat", reference=preset.reference,
            notes=_notes(preset),
            model_args=MODEL_ARGS, capabilities=capabilities_for(preset.name),
        ))


register_eagle2_models()
