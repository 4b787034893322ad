"""Named presets for comparison models that transformers supports natively (the llava-hf conversions).

Each preset's `reference` is the published row of `eagle-eval table --reference` that the same model
reports (eagle_eval/results/published/). Revisions are left unpinned (None) because the hub commits could not
be read offline; the commit actually loaded is recorded in results.json, and `--revision` pins one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HFPreset:
    name: str
    hub_id: str
    description: str
    llm: str
    reference: str | None = None  # label of the published row for the same model
    revision: str | None = None
    aliases: tuple[str, ...] = ()
    vision: tuple[str, ...] = ("CLIP ViT-L/14-336",)


HF_PRESETS: dict[str, HFPreset] = {
    preset.name: preset
    for preset in (
        HFPreset("llava-1.5-7b", "llava-hf/llava-1.5-7b-hf",
                 "LLaVA-1.5 7B (Vicuna-7B, CLIP ViT-L/14-336), transformers' LlavaForConditionalGeneration",
                 llm="Vicuna-7B", reference="LLaVA-1.5-7B"),
        HFPreset("llava-1.5-13b", "llava-hf/llava-1.5-13b-hf",
                 "LLaVA-1.5 13B (Vicuna-13B, CLIP ViT-L/14-336), transformers' LlavaForConditionalGeneration",
                 llm="Vicuna-13B", reference="LLaVA-1.5-13B"),
        HFPreset("llava-next-vicuna-7b", "llava-hf/llava-v1.6-vicuna-7b-hf",
                 "LLaVA-NeXT (1.6) Vicuna-7B, any-resolution tiles, transformers' LlavaNextForConditionalGeneration",
                 llm="Vicuna-7B", reference="LLaVA-NeXT-Vicuna-7B", aliases=("llava-1.6-vicuna-7b",)),
        HFPreset("llava-next-vicuna-13b", "llava-hf/llava-v1.6-vicuna-13b-hf",
                 "LLaVA-NeXT (1.6) Vicuna-13B, any-resolution tiles, transformers' LlavaNextForConditionalGeneration",
                 llm="Vicuna-13B", reference="LLaVA-NeXT-Vicuna-13B", aliases=("llava-1.6-vicuna-13b",)),
        HFPreset("llava-next-34b", "llava-hf/llava-v1.6-34b-hf",
                 "LLaVA-NeXT (1.6) 34B (Nous-Hermes-2-Yi-34B), transformers' LlavaNextForConditionalGeneration",
                 llm="Nous-Hermes-2-Yi-34B", reference="LLaVA-NeXT-34B", aliases=("llava-1.6-34b",)),
    )
}
