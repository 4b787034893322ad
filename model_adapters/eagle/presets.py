"""Every released Eagle (v1) checkpoint, with its full architecture built in.

The architecture is known without a download (the LLM sizes are the public Vicuna-1.5, Llama-3-8B and
Yi-34B sizes), so the state-dict listing and the benchmark work offline. Loading a real checkpoint
reads its own config.json; the preset only names the hub repository.

Revisions: the hub commit hashes of the NVEagle repositories could not be looked up when these presets
were written (no hub access), so every preset pins `"main"`. Pass `--revision <commit>` (ModelOptions.revision)
to pin a run; results.json records the revision used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from eagle_eval.model_adapters.eagle.vision_config import X4_VISION_TOWER, X5_VISION_TOWER, VisionTowerConfig

if TYPE_CHECKING:  # transformers is imported only when a config is built, so listing models stays fast
    from transformers import LlamaConfig

    from eagle_eval.model_adapters.eagle.config import EagleConfig


@dataclass(frozen=True)
class LlmSize:
    """The LLM's shape; everything else is a Llama default."""

    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    vocab_size: int
    max_position_embeddings: int = 4096
    rope_theta: float = 10000.0
    rms_norm_eps: float = 1e-5
    bos_token_id: int = 1
    eos_token_id: int | list[int] = 2
    pad_token_id: int | None = 0
    # Only the random test model uses another value: wider weights make its answers depend on the input.
    initializer_range: float = 0.02

    def llama_config(self) -> LlamaConfig:
        from transformers import LlamaConfig

        return LlamaConfig(  # type: ignore[call-arg]  # transformers 5 takes rope_theta through **kwargs
            hidden_size=self.hidden_size,
            intermediate_size=self.intermediate_size,
            num_hidden_layers=self.num_hidden_layers,
            num_attention_heads=self.num_attention_heads,
            num_key_value_heads=self.num_key_value_heads,
            vocab_size=self.vocab_size,
            max_position_embeddings=self.max_position_embeddings,
            rope_theta=self.rope_theta,
            rms_norm_eps=self.rms_norm_eps,
            bos_token_id=self.bos_token_id,
            eos_token_id=self.eos_token_id,
            pad_token_id=self.pad_token_id,
            hidden_act="silu",
            tie_word_embeddings=False,
            attention_bias=False,
            initializer_range=self.initializer_range,
        )


VICUNA_7B = LlmSize(4096, 11008, 32, 32, 32, 32000)
VICUNA_13B = LlmSize(5120, 13824, 40, 40, 40, 32000)
# Llama-3-8B-Instruct plus the `<pad>` token Eagle's training added (128,256 + 1).
LLAMA3_8B = LlmSize(
    4096, 14336, 32, 32, 8, 128257, max_position_embeddings=8192, rope_theta=500000.0,
    bos_token_id=128000, eos_token_id=[128001, 128009], pad_token_id=128256,
)
# Nous-Hermes-2-Yi-34B: `<|im_end|>` (id 7) ends a turn.
YI_34B = LlmSize(
    7168, 20480, 60, 56, 8, 64000, rope_theta=5000000.0, bos_token_id=1, eos_token_id=7, pad_token_id=0,
)
# The test LLM: few layers, grouped-query attention (as Llama-3 and Yi have), vocab set by the tokenizer.
TINY_LLM = LlmSize(64, 128, 2, 4, 2, 512, max_position_embeddings=2048, initializer_range=0.2)


@dataclass(frozen=True)
class Preset:
    name: str
    hub_id: str | None
    llm_name: str
    llm: LlmSize
    experts: str  # "X5" or "X4"
    template: str
    revision: str = "main"
    aliases: tuple[str, ...] = ()
    tiny: bool = False
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def mm_vision_tower(self) -> str:
        return X5_VISION_TOWER if self.experts == "X5" else X4_VISION_TOWER

    def eagle_config(self, vocab_size: int | None = None) -> EagleConfig:
        from eagle_eval.model_adapters.eagle.config import EagleConfig

        llm = self.llm.llama_config()
        if vocab_size is not None:
            llm.vocab_size = vocab_size
        vision = VisionTowerConfig.parse(self.mm_vision_tower, tiny=self.tiny)
        return EagleConfig(
            llm=llm,
            vision=vision,
            mm_hidden_size=vision.hidden_size,
            template=self.template,
            tiny_vision=self.tiny,
        )

    @property
    def description(self) -> str:
        if self.tiny:
            return f"tiny random Eagle-{self.experts} for tests ({self.llm_name}), built locally"
        return f"Eagle-{self.experts} with {self.llm_name} ({self.hub_id}, template {self.template})"


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset("eagle-x4-7b", "NVEagle/Eagle-X4-7B", "vicuna-7b-v1.5", VICUNA_7B, "X4", "vicuna_v1"),
        Preset("eagle-x5-7b", "NVEagle/Eagle-X5-7B", "vicuna-7b-v1.5", VICUNA_7B, "X5", "vicuna_v1",
               aliases=("eagle-x5",)),
        Preset("eagle-x4-13b", "NVEagle/Eagle-X4-13B", "vicuna-13b-v1.5", VICUNA_13B, "X4", "vicuna_v1"),
        Preset("eagle-x5-13b", "NVEagle/Eagle-X5-13B", "vicuna-13b-v1.5", VICUNA_13B, "X5", "vicuna_v1"),
        Preset("eagle-x5-13b-chat", "NVEagle/Eagle-X5-13B-Chat", "vicuna-13b-v1.5", VICUNA_13B, "X5",
               "vicuna_v1"),
        Preset("eagle-x4-8b-plus", "NVEagle/Eagle-X4-8B-Plus", "Llama-3-8B-Instruct", LLAMA3_8B, "X4",
               "llama3"),
        Preset("eagle-x4-13b-plus", "NVEagle/Eagle-X4-13B-Plus", "vicuna-13b-v1.5", VICUNA_13B, "X4",
               "vicuna_v1"),
        Preset("eagle-x5-34b-plus", "NVEagle/Eagle-X5-34B-Plus", "Nous-Hermes-2-Yi-34B", YI_34B, "X5",
               "yi_34b_chatml_direct"),
        Preset("eagle-x5-34b-chat", "NVEagle/Eagle-X5-34B-Chat", "Nous-Hermes-2-Yi-34B", YI_34B, "X5",
               "yi_34b_chatml_direct"),
        Preset("eagle-tiny", None, "tiny Llama", TINY_LLM, "X5", "vicuna_v1", tiny=True),
        Preset("eagle-tiny-x4", None, "tiny Llama", TINY_LLM, "X4", "vicuna_v1", tiny=True),
    )
}
ALIASES: dict[str, str] = {alias: p.name for p in PRESETS.values() for alias in p.aliases}


def get_preset(name: str) -> Preset:
    name = ALIASES.get(name, name)
    if name not in PRESETS:
        raise KeyError(f"unknown Eagle preset '{name}'; known: {sorted(PRESETS)} (aliases {sorted(ALIASES)})")
    return PRESETS[name]
