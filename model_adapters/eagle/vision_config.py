"""Hyperparameters of the Eagle (v1) vision tower and of each of its experts.

Every expert config has `full()` (the size in the released NVEagle checkpoints) and `tiny()` (a few
layers and small widths, fast on CPU, with every structural feature of the full model still present:
windowed + global attention, padded windows, RoPE, SwiGLU, pixel_unshuffle, non-native grids that need
resizing). `VisionTowerConfig` names the experts in checkpoint order and carries the shared input
resolution and the output grid.

The checkpoint's `mm_vision_tower` string ("clip-448;convnext-1024;...") is the source of truth for
which experts exist and in which order; `VisionTowerConfig.parse` reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

# The CLIP normalisation shared by every expert's input (the tower gets one normalised tensor).
CLIP_MEAN: tuple[float, float, float] = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD: tuple[float, float, float] = (0.26862954, 0.26130258, 0.27577711)
# Pad-to-square colour: the CLIP mean in 0-255 units, truncated as LLaVA's expand2square does.
PAD_COLOR: tuple[int, int, int] = (122, 116, 104)

CLIP = "clip-448"
CONVNEXT = "convnext-1024"
SAM = "sam-1024"
DET = "det-1024"
PIX2STRUCT = "pix2struct-1024"
KNOWN_EXPERTS: tuple[str, ...] = (CLIP, CONVNEXT, SAM, DET, PIX2STRUCT)
# How the paper names each expert (tables of knock-out runs read "−SAM").
EXPERT_LABELS: dict[str, str] = {CLIP: "CLIP", CONVNEXT: "ConvNeXt", SAM: "SAM", DET: "EVA-02",
                                 PIX2STRUCT: "Pix2Struct"}

X5_VISION_TOWER = ";".join((CLIP, CONVNEXT, SAM, DET, PIX2STRUCT))
X4_VISION_TOWER = ";".join((CLIP, CONVNEXT, DET, PIX2STRUCT))


class ExpertConfig(Protocol):
    """What every expert config offers the tower."""

    @property
    def out_channels(self) -> int: ...


@dataclass(frozen=True)
class ClipExpertConfig:
    """CLIP ViT-L/14 (openai/clip-vit-large-patch14-336). Named clip-448 but runs at `image_size`=336."""

    image_size: int = 336
    patch_size: int = 14
    hidden_size: int = 1024
    intermediate_size: int = 4096
    num_layers: int = 24
    num_heads: int = 16
    projection_dim: int = 768
    layer_norm_eps: float = 1e-5
    hidden_act: str = "quick_gelu"

    @classmethod
    def full(cls) -> ClipExpertConfig:
        return cls()

    @classmethod
    def tiny(cls) -> ClipExpertConfig:
        # 84 / 14 = 6x6 patches: not the tower grid, so the upsampling path is exercised.
        return cls(image_size=84, hidden_size=32, intermediate_size=64, num_layers=2, num_heads=2,
                   projection_dim=16)

    @property
    def out_channels(self) -> int:
        return self.hidden_size

    @property
    def grid(self) -> int:
        return self.image_size // self.patch_size


@dataclass(frozen=True)
class ConvNextExpertConfig:
    """timm ConvNeXt-XXLarge (convnext_xxlarge.clip_laion2b_soup); the last stage's map is the feature."""

    depths: tuple[int, ...] = (3, 4, 30, 3)
    dims: tuple[int, ...] = (384, 768, 1536, 3072)
    norm_eps: float = 1e-5
    # The checkpoint keeps timm's 1000-class head (unused by Eagle but stored).
    num_classes: int = 1000

    @classmethod
    def full(cls) -> ConvNextExpertConfig:
        return cls()

    @classmethod
    def tiny(cls) -> ConvNextExpertConfig:
        return cls(depths=(1, 1, 2, 1), dims=(8, 16, 24, 32), num_classes=10)

    @property
    def out_channels(self) -> int:
        return self.dims[-1]

    @property
    def stride(self) -> int:
        return 32


@dataclass(frozen=True)
class SamExpertConfig:
    """SAM ViT-L image encoder with Eagle's short neck (1x1 conv + LayerNorm) and pixel_unshuffle(2)."""

    image_size: int = 1024
    patch_size: int = 16
    hidden_size: int = 1024
    num_layers: int = 24
    num_heads: int = 16
    mlp_dim: int = 4096
    window_size: int = 14
    global_attn_indexes: tuple[int, ...] = (5, 11, 17, 23)
    output_channels: int = 256
    layer_norm_eps: float = 1e-6
    unshuffle: int = 2

    @classmethod
    def full(cls) -> SamExpertConfig:
        return cls()

    @classmethod
    def tiny(cls) -> SamExpertConfig:
        # A 16x16 token grid with window 14 needs padding, as the full 64x64 grid does.
        return cls(image_size=256, hidden_size=32, num_layers=4, num_heads=2, mlp_dim=64,
                   global_attn_indexes=(1, 3), output_channels=8)

    @property
    def out_channels(self) -> int:
        return self.output_channels * self.unshuffle**2


@dataclass(frozen=True)
class Eva02ExpertConfig:
    """EVA-02-L ViTDet backbone ("det-1024"): windowed + global attention, 2-D RoPE, SwiGLU."""

    image_size: int = 1024
    patch_size: int = 16
    hidden_size: int = 1024
    num_layers: int = 24
    num_heads: int = 16
    mlp_ratio: float = 4 * 2 / 3
    window_size: int = 16
    global_block_indexes: tuple[int, ...] = (2, 5, 8, 11, 14, 17, 20, 23)
    # Absolute position embeddings were pre-trained on a 14x14 grid (+ a cls slot that is unused).
    pretrain_grid: int = 14
    # RoPE was pre-trained on a 16x16 grid; the global grid is rescaled onto it.
    rope_pretrain_grid: int = 16
    rope_theta: float = 10000.0
    layer_norm_eps: float = 1e-6

    @classmethod
    def full(cls) -> Eva02ExpertConfig:
        return cls()

    @classmethod
    def tiny(cls) -> Eva02ExpertConfig:
        return cls(image_size=256, hidden_size=32, num_layers=4, num_heads=2, window_size=4,
                   global_block_indexes=(1, 3), pretrain_grid=3, rope_pretrain_grid=4)

    @property
    def out_channels(self) -> int:
        return self.hidden_size

    @property
    def grid(self) -> int:
        return self.image_size // self.patch_size

    @property
    def mlp_hidden(self) -> int:
        return int(self.hidden_size * self.mlp_ratio)


@dataclass(frozen=True)
class Pix2StructExpertConfig:
    """Pix2Struct-large vision encoder, fed by its own variable-resolution patch extraction."""

    hidden_size: int = 1536
    num_layers: int = 18
    num_heads: int = 24
    head_dim: int = 64
    d_ff: int = 3968
    patch_size: int = 16
    max_patches: int = 2048
    # Size of the row/column embedding tables.
    seq_len: int = 4096
    layer_norm_eps: float = 1e-6
    dense_act_fn: str = "gelu_new"

    @classmethod
    def full(cls) -> Pix2StructExpertConfig:
        return cls()

    @classmethod
    def tiny(cls) -> Pix2StructExpertConfig:
        # At a 256 input, 128 patches give 11x11 real patches plus 7 padding slots, like 45x45 + 23.
        return cls(hidden_size=32, num_layers=2, num_heads=2, head_dim=16, d_ff=48, max_patches=128,
                   seq_len=64)

    @property
    def out_channels(self) -> int:
        return self.hidden_size


@dataclass(frozen=True)
class VisionTowerConfig:
    """Which experts, in which (channel) order, plus the shared input size and output grid."""

    experts: tuple[str, ...]
    image_size: int = 1024
    grid_size: int = 32
    clip: ClipExpertConfig = field(default_factory=ClipExpertConfig.full)
    convnext: ConvNextExpertConfig = field(default_factory=ConvNextExpertConfig.full)
    sam: SamExpertConfig = field(default_factory=SamExpertConfig.full)
    det: Eva02ExpertConfig = field(default_factory=Eva02ExpertConfig.full)
    pix2struct: Pix2StructExpertConfig = field(default_factory=Pix2StructExpertConfig.full)

    def __post_init__(self) -> None:
        unknown = [name for name in self.experts if name not in KNOWN_EXPERTS]
        if unknown:
            raise ValueError(f"unknown vision expert(s) {unknown} in mm_vision_tower; "
                             f"Eagle v1 experts are {list(KNOWN_EXPERTS)}")
        if len(set(self.experts)) != len(self.experts) or not self.experts:
            raise ValueError(f"mm_vision_tower must name each expert once, got {list(self.experts)}")
        for name, size in ((SAM, self.sam.image_size), (DET, self.det.image_size)):
            if name in self.experts and size != self.image_size:
                raise ValueError(f"{name} expects a {size}px input but the tower's image_size is "
                                 f"{self.image_size}; build both from the same preset (full or tiny)")

    @classmethod
    def parse(cls, mm_vision_tower: str, tiny: bool = False) -> VisionTowerConfig:
        """Build from a checkpoint's `mm_vision_tower` string; `tiny` picks the small test sizes."""
        experts = tuple(part.strip() for part in mm_vision_tower.split(";") if part.strip())
        if tiny:
            return cls(experts=experts, image_size=256, grid_size=8, clip=ClipExpertConfig.tiny(),
                       convnext=ConvNextExpertConfig.tiny(), sam=SamExpertConfig.tiny(),
                       det=Eva02ExpertConfig.tiny(), pix2struct=Pix2StructExpertConfig.tiny())
        return cls(experts=experts)

    @classmethod
    def x5(cls, tiny: bool = False) -> VisionTowerConfig:
        return cls.parse(X5_VISION_TOWER, tiny=tiny)

    @classmethod
    def x4(cls, tiny: bool = False) -> VisionTowerConfig:
        return cls.parse(X4_VISION_TOWER, tiny=tiny)

    @property
    def mm_vision_tower(self) -> str:
        return ";".join(self.experts)

    @property
    def num_tokens(self) -> int:
        return self.grid_size**2

    def expert_channels(self, name: str) -> int:
        configs: dict[str, ExpertConfig] = {CLIP: self.clip, CONVNEXT: self.convnext, SAM: self.sam,
                                            DET: self.det, PIX2STRUCT: self.pix2struct}
        return configs[name].out_channels

    @property
    def hidden_size(self) -> int:
        """Channels of the concatenated features (the projector's input, `mm_hidden_size`)."""
        return sum(self.expert_channels(name) for name in self.experts)
