"""Eagle vision tower: checkpoint layout, batching, preprocessing, and the experts' Eagle-specific steps."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from eagle_eval.model_adapters.eagle import preprocessing
from eagle_eval.model_adapters.eagle.clip_expert import ClipExpert
from eagle_eval.model_adapters.eagle.convnext_expert import ConvNextExpert
from eagle_eval.model_adapters.eagle.eva02_expert import EvaViTDet, rope_tables, window_partition
from eagle_eval.model_adapters.eagle.pix2struct_expert import Pix2StructExpert
from eagle_eval.model_adapters.eagle.sam_expert import SamExpert, unshuffle_features
from eagle_eval.model_adapters.eagle.vision_config import (
    CLIP_MEAN,
    CLIP_STD,
    ClipExpertConfig,
    ConvNextExpertConfig,
    Eva02ExpertConfig,
    Pix2StructExpertConfig,
    SamExpertConfig,
    VisionTowerConfig,
)
from eagle_eval.model_adapters.eagle.vision_tower import (
    EagleVisionTower,
    checkpoint_key_from_module,
    expected_vision_tensors,
    is_recomputed_buffer,
)

KEY_LISTS = Path(__file__).resolve().parents[2] / "goldens" / "eagle"
TOWER_PREFIX = "model.vision_tower."


def randomize(module: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Random weights everywhere (zero-initialised position tables and biases included)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in module.named_parameters():
            noise = torch.randn(param.shape, generator=generator) * 0.1
            is_norm_scale = param.dim() == 1 and "norm" in name and name.endswith("weight")
            param.copy_(noise + 1.0 if is_norm_scale else noise)
    return module.eval()


# ---------------------------------------------------------------- (a) checkpoint layout


def _pattern(key: str) -> str:
    # The key lists write every block index as N, except the expert index after `vision_towers.`.
    return re.sub(r"(?<!vision_towers)\.\d+(?=\.)", ".N", key)


def _read_key_list(path: Path) -> dict[str, tuple[frozenset[str], int]]:
    patterns = {}
    for line in path.read_text().splitlines():
        if not line.startswith(TOWER_PREFIX):
            continue
        key, shapes, count = line.split("\t")
        patterns[key[len(TOWER_PREFIX):]] = (frozenset(s.strip() for s in shapes.split("|")),
                                             int(count.strip("(x)")))
    return patterns


def _summarise(tensors: list[tuple[str, tuple[int, ...]]]) -> dict[str, tuple[frozenset[str], int]]:
    shapes: dict[str, set[str]] = {}
    counts: dict[str, int] = {}
    for key, shape in tensors:
        pattern = _pattern(key)
        shapes.setdefault(pattern, set()).add(str(list(shape)))
        counts[pattern] = counts.get(pattern, 0) + 1
    return {pattern: (frozenset(shapes[pattern]), counts[pattern]) for pattern in shapes}


@pytest.mark.parametrize(("config", "key_file"), [(VisionTowerConfig.x5(), "state_dict_keys_x5.txt"),
                                                   (VisionTowerConfig.x4(), "state_dict_keys_x4.txt")])
def test_full_size_tensors_match_checkpoint_key_list(config: VisionTowerConfig, key_file: str) -> None:
    expected = _read_key_list(KEY_LISTS / key_file)
    built = _summarise(expected_vision_tensors(config))
    assert set(built) == set(expected), (sorted(set(built) - set(expected)), sorted(set(expected) - set(built)))
    for pattern, value in expected.items():
        assert built[pattern] == value, pattern


def test_hidden_sizes_and_parameter_counts() -> None:
    assert VisionTowerConfig.x5().hidden_size == 7680
    assert VisionTowerConfig.x4().hidden_size == 6656
    assert VisionTowerConfig.x5().experts == ("clip-448", "convnext-1024", "sam-1024", "det-1024",
                                              "pix2struct-1024")
    # Sizes from the model facts (millions of stored values, counted from the reference build): X5 2,279,
    # X4 1,972 (a sum of per-expert figures rounded to 0.1M, hence the tolerance); EVA-02's 308.7 includes its 5.3M of RoPE tables (the other experts have no buffers).
    for config, millions in ((VisionTowerConfig.x5(), 2279), (VisionTowerConfig.x4(), 1972)):
        tensors = expected_vision_tensors(config)
        total = sum(math.prod(shape) for _, shape in tensors)
        rope = sum(math.prod(shape) for key, shape in tensors if is_recomputed_buffer(key))
        assert abs(total / 1e6 - millions) < 0.6
        assert round(rope / 1e5) == 53


def test_parse_rejects_unknown_expert() -> None:
    with pytest.raises(ValueError, match="siglip-384"):
        VisionTowerConfig.parse("clip-448;siglip-384")


def test_convnext_layer_scale_key_is_renamed_both_ways() -> None:
    keys = [key for key, _ in expected_vision_tensors(VisionTowerConfig.x4(tiny=True))]
    assert "vision_towers.1.vision_tower.stages.2.blocks.1.weight" in keys
    assert not any(key.endswith("gamma") for key in keys)
    tower = randomize(EagleVisionTower(VisionTowerConfig.x4(tiny=True)))
    checkpoint = {checkpoint_key_from_module(k): torch.full_like(v, 0.5) for k, v in tower.state_dict().items()
                  if not is_recomputed_buffer(checkpoint_key_from_module(k))}
    tower.load_checkpoint_tensors(checkpoint)
    assert torch.equal(tower.vision_towers[1].vision_tower.stages[2].blocks[1].gamma, torch.full((24,), 0.5))
    del checkpoint["vision_towers.1.vision_tower.stages.2.blocks.1.weight"]
    with pytest.raises(KeyError, match=r"stages\.2\.blocks\.1\.weight"):
        tower.load_checkpoint_tensors(checkpoint)


# ---------------------------------------------------------------- (b) tiny tower forward


@pytest.fixture(scope="module")
def tiny_x5() -> EagleVisionTower:
    return randomize(EagleVisionTower(VisionTowerConfig.x5(tiny=True)))


def test_tiny_tower_shape_and_batch_invariance(tiny_x5: EagleVisionTower) -> None:
    config = tiny_x5.config
    pixels = torch.randn(3, 3, config.image_size, config.image_size, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        batched = tiny_x5(pixels)
        single = torch.cat([tiny_x5(pixels[i: i + 1]) for i in range(3)])
    assert batched.shape == (3, config.grid_size**2, config.hidden_size)
    assert torch.allclose(batched, single, atol=1e-5, rtol=1e-5)
    assert not torch.allclose(batched[0], batched[1])


def test_tower_concatenates_experts_in_order(tiny_x5: EagleVisionTower) -> None:
    pixels = torch.randn(1, 3, 256, 256, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        out = tiny_x5(pixels)
        # The CLIP block: the expert at 84 px (6x6), then bilinear (align_corners) up to the 8x8 grid.
        clip = tiny_x5.vision_towers[0]
        small = F.interpolate(pixels, size=(84, 84), mode="bilinear", align_corners=True)
        expected_clip = F.interpolate(clip(small), size=(8, 8), mode="bilinear", align_corners=True)
    assert torch.allclose(out[..., :32], expected_clip.flatten(2).transpose(1, 2), atol=1e-6)
    widths = [expert.out_channels for expert in tiny_x5.vision_towers]
    assert widths == [32, 32, 32, 32, 32] and out.shape[-1] == sum(widths)


def test_tower_rejects_wrong_input_size(tiny_x5: EagleVisionTower) -> None:
    with pytest.raises(ValueError, match="256"):
        tiny_x5(torch.zeros(1, 3, 224, 224))


# ---------------------------------------------------------------- (c) preprocessing


def test_pad_to_square_and_normalise_by_hand() -> None:
    # A 4x2 (w x h) red image: padded to 4x4 with one pad row above and one below ((4 - 2) // 2 = 1).
    image = Image.new("RGB", (4, 2), (255, 0, 0))
    pixels = preprocessing.preprocess_images([image], image_size=4)
    assert pixels.shape == (1, 3, 4, 4)
    pad = [(v / 255 - m) / s for v, m, s in zip((122, 116, 104), CLIP_MEAN, CLIP_STD, strict=True)]
    red = [(v / 255 - m) / s for v, m, s in zip((255, 0, 0), CLIP_MEAN, CLIP_STD, strict=True)]
    for channel in range(3):
        for row, value in ((0, pad), (1, red), (2, red), (3, pad)):
            assert torch.allclose(pixels[0, channel, row], torch.full((4,), value[channel]), atol=1e-6)


def test_resize_matches_clip_image_processor() -> None:
    from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

    rng = np.random.default_rng(0)
    image = Image.fromarray(rng.integers(0, 256, (50, 70, 3), dtype=np.uint8))  # wide: padded top/bottom
    ours = preprocessing.preprocess_images([image], image_size=96)
    processor = CLIPImageProcessorPil(size={"shortest_edge": 96}, crop_size={"height": 96, "width": 96},
                                      image_mean=list(CLIP_MEAN), image_std=list(CLIP_STD))
    reference = processor(images=[preprocessing.pad_to_square(image)], return_tensors="pt")["pixel_values"]
    assert torch.allclose(ours, reference, atol=1e-5)


def test_pix2struct_patches_match_processor() -> None:
    from transformers.models.pix2struct.image_processing_pil_pix2struct import Pix2StructImageProcessorPil

    rng = np.random.default_rng(1)
    images = [Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)) for _ in range(2)]
    pixels = preprocessing.preprocess_images(images, image_size=64)
    ours = preprocessing.pix2struct_patches(pixels, patch_size=16, max_patches=12, pad_to_max_patches=True)
    # What the reference feeds the processor: the tensor un-normalised back to 0-255, channels first.
    unnormalised = preprocessing.unnormalize_to_pixels(pixels).numpy()
    processor = Pix2StructImageProcessorPil()
    reference = processor(images=list(unnormalised), max_patches=12, return_tensors="pt",
                          input_data_format="channels_first")
    # 12 patches at 64 px: scale sqrt(12 * (16/64)^2) = 0.866 -> 3x3 patches of 16 px, 3 padding slots.
    assert preprocessing.pix2struct_grid(64, 64, 16, 12) == (3, 3)
    assert ours.shape == reference["flattened_patches"].shape == (2, 12, 770)
    assert torch.allclose(ours, reference["flattened_patches"], atol=1e-4)
    assert reference["attention_mask"][:, :9].all() and not reference["attention_mask"][:, 9:].any()


def test_full_size_pix2struct_grid_is_45() -> None:
    assert preprocessing.pix2struct_grid(1024, 1024, 16, 2048) == (45, 45)


def test_pix2struct_expert_equals_hf_model_on_padded_patches() -> None:
    expert = randomize(Pix2StructExpert(Pix2StructExpertConfig.tiny()))
    pixels = torch.randn(2, 3, 256, 256, generator=torch.Generator().manual_seed(3))
    padded = preprocessing.pix2struct_patches(pixels, max_patches=128, pad_to_max_patches=True)
    mask = (padded.sum(-1) != 0).float()
    with torch.no_grad():
        reference = expert.vision_tower(flattened_patches=padded, attention_mask=mask).last_hidden_state
        ours = expert(pixels)
    assert ours.shape == (2, 32, 11, 11)
    assert torch.allclose(ours.flatten(2).transpose(1, 2), reference[:, :121], atol=1e-5)


# ---------------------------------------------------------------- (d) SAM neck and pixel_unshuffle


def test_pixel_unshuffle_channel_order() -> None:
    channels, size = 2, 4
    # Each value encodes its (channel, y, x) position.
    grid = torch.tensor([[[100 * c + 10 * y + x for x in range(size)] for y in range(size)]
                         for c in range(channels)], dtype=torch.float32)[None]
    out = unshuffle_features(grid, 2)
    assert out.shape == (1, channels * 4, 2, 2)
    for c in range(channels):
        for dy in range(2):
            for dx in range(2):
                for y in range(2):
                    for x in range(2):
                        assert out[0, c * 4 + dy * 2 + dx, y, x] == 100 * c + 10 * (2 * y + dy) + (2 * x + dx)


def test_sam_short_neck_is_conv_then_channels_first_layernorm() -> None:
    expert = randomize(SamExpert(SamExpertConfig.tiny()))
    pixels = torch.randn(1, 3, 256, 256, generator=torch.Generator().manual_seed(4))
    encoder = expert.vision_tower
    with torch.no_grad():
        hidden = encoder.patch_embed(pixels) + encoder.pos_embed
        for layer in encoder.layers:
            hidden = layer(hidden)
        conv = F.conv2d(hidden.permute(0, 3, 1, 2), encoder.neck.conv1.weight)
        mean = conv.mean(1, keepdim=True)
        var = (conv - mean).pow(2).mean(1, keepdim=True)
        normed = (conv - mean) / torch.sqrt(var + 1e-6)
        neck = encoder.neck.layer_norm1
        expected = normed * neck.weight[:, None, None] + neck.bias[:, None, None]
        ours = expert(pixels)
    assert ours.shape == (1, 32, 8, 8)
    assert torch.allclose(ours, F.pixel_unshuffle(expected, 2), atol=1e-5)


# ---------------------------------------------------------------- (e) CLIP: CLS dropped before pre_layrnorm


def test_clip_drops_cls_before_pre_layrnorm() -> None:
    expert = randomize(ClipExpert(ClipExpertConfig.tiny()))
    model = expert.vision_tower.vision_model
    pixels = torch.randn(2, 3, 84, 84, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        embedded = model.embeddings(pixels)
        hidden = model.pre_layrnorm(embedded[:, 1:])
        for layer in model.encoder.layers:
            hidden = layer(hidden, None)
        cls_kept = model.pre_layrnorm(embedded)
        for layer in model.encoder.layers:
            cls_kept = layer(cls_kept, None)
        ours = expert(pixels)
    assert ours.shape == (2, 32, 6, 6)
    assert torch.allclose(ours.flatten(2).transpose(1, 2), hidden, atol=1e-5)
    # Dropping CLS after the encoder instead gives different features (the test can tell them apart).
    assert not torch.allclose(ours.flatten(2).transpose(1, 2), cls_kept[:, 1:], atol=1e-3)


# ---------------------------------------------------------------- EVA-02 details


def test_rope_tables_by_hand() -> None:
    cos, sin = rope_tables(head_dim=8, grid=4, pretrain_grid=2, theta=100.0)
    # axis_dim 4 -> inverse frequencies 100^(-0/4), 100^(-2/4) = 1, 0.1, each used for a pair of dims.
    # Token (row 1, col 3) = index 7; positions rescaled by 2/4: row 0.5, col 1.5.
    angles = torch.tensor([0.5, 0.5, 0.05, 0.05, 1.5, 1.5, 0.15, 0.15])
    assert torch.allclose(cos[7], angles.cos()) and torch.allclose(sin[7], angles.sin())


def test_rope_buffers_survive_dtype_cast_and_meta_materialisation() -> None:
    with torch.device("meta"):
        model = EvaViTDet(Eva02ExpertConfig.tiny())
    model.to_empty(device="cpu").to(torch.bfloat16)
    cos, _ = rope_tables(16, 16, 4, 10000.0)
    assert model.rope_glb.freqs_cos.dtype == torch.float32
    assert torch.equal(model.blocks[0].attn.rope.freqs_cos, rope_tables(16, 4, 4, 10000.0)[0])
    assert torch.equal(model.rope_glb.freqs_cos, cos)


def test_window_blocks_attend_within_windows_only() -> None:
    model = randomize(EvaViTDet(Eva02ExpertConfig.tiny()))
    block = model.blocks[0]
    assert block.window == 4 and model.blocks[1].window == 0
    x = torch.randn(1, 16, 16, 32, generator=torch.Generator().manual_seed(6))
    changed = x.clone()
    changed[:, 12:, 12:] += 1.0  # only the last window
    with torch.no_grad():
        diff = (block(x) - block(changed)).abs().amax(-1)[0]
    assert diff[:12].max() == 0 and diff[:, :12].max() == 0 and diff[12:, 12:].min() > 0
    windows, padded = window_partition(x, 4)
    assert windows.shape == (16, 16, 32) and padded == (16, 16)
    assert torch.equal(windows[1], x[0, 0:4, 4:8].reshape(16, 32))


def test_convnext_expert_returns_last_stage_map() -> None:
    expert = randomize(ConvNextExpert(ConvNextExpertConfig.tiny()))
    pixels = torch.randn(1, 3, 256, 256, generator=torch.Generator().manual_seed(7))
    with torch.no_grad():
        features = expert(pixels)
        reference = expert.vision_tower.forward_features(pixels)  # stem, stages, identity norm_pre
    assert features.shape == (1, 32, 8, 8)
    assert torch.equal(features, reference)


def test_eva_attention_biases_rope_and_scale_by_hand() -> None:
    model = randomize(EvaViTDet(Eva02ExpertConfig.tiny()))
    attn = model.blocks[1].attn  # global block: 16x16 tokens, rope_glb
    x = torch.randn(1, 256, 32, generator=torch.Generator().manual_seed(8))
    cos, sin = model.rope_glb.freqs_cos, model.rope_glb.freqs_sin

    def heads(t: torch.Tensor) -> torch.Tensor:
        return t.view(1, 256, 2, 16).transpose(1, 2)

    def rotate(t: torch.Tensor) -> torch.Tensor:
        # Pairs (2i, 2i+1) -> (-t[2i+1], t[2i]).
        out = torch.empty_like(t)
        out[..., 0::2], out[..., 1::2] = -t[..., 1::2], t[..., 0::2]
        return t * cos + out * sin

    with torch.no_grad():
        q = rotate(heads(x @ attn.q_proj.weight.T + attn.q_bias))
        k = rotate(heads(x @ attn.k_proj.weight.T))  # no key bias
        v = heads(x @ attn.v_proj.weight.T + attn.v_bias)
        weights = torch.softmax(q @ k.transpose(-1, -2) / 4.0, dim=-1)  # sqrt(head_dim 16)
        expected = attn.proj((weights @ v).transpose(1, 2).reshape(1, 256, 32))
        assert torch.allclose(attn(x), expected, atol=1e-5)
