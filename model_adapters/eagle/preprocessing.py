"""Image preprocessing for the Eagle vision tower.

Shared path (LLaVA's `image_aspect_ratio="pad"` with Eagle's CLIP-style processor at 1024 px):
  convert to RGB -> pad to a square with (122, 116, 104), image centred -> bicubic resize to S x S
  (PIL, on uint8, as CLIPImageProcessor did) -> rescale 1/255 -> CLIP mean/std normalisation.
The PIL steps run per image on the CPU (`images_to_uint8`); the arithmetic runs batched on any device
(`normalize_uint8`). `preprocess_images` does both.

Pix2Struct path (`pix2struct_patches`), on tensors so it runs on the GPU: un-normalise the shared tensor
back to 0-255, standardise each image by its own mean and (population) std, resize bilinearly with
antialiasing to the largest patch grid that fits `max_patches` (45x45 of 16 px for 1024 px and 2048),
and flatten 16x16 patches (row id, column id, then pixels in (y, x, channel) order) as
transformers' Pix2StructImageProcessor does. Only the real patches are returned: the processor's
trailing zero padding (masked out of attention, and dropped from Eagle's features) is not needed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from eagle_eval.model_adapters.eagle.vision_config import CLIP_MEAN, CLIP_STD, PAD_COLOR


def pad_to_square(image: Image.Image, color: tuple[int, int, int] = PAD_COLOR) -> Image.Image:
    """Centre `image` on a square canvas of its longer side (offset rounded down, as LLaVA does)."""
    width, height = image.size
    if width == height:
        return image
    side = max(width, height)
    canvas = Image.new(image.mode, (side, side), color)
    canvas.paste(image, ((side - width) // 2, (side - height) // 2))
    return canvas


def images_to_uint8(images: Sequence[Image.Image], image_size: int) -> torch.Tensor:
    """PIL images -> uint8 [B, 3, S, S]: RGB, padded to square, bicubic-resized with PIL."""
    if not images:
        raise ValueError("preprocessing needs at least one image; got an empty list")
    arrays = []
    for image in images:
        square = pad_to_square(image.convert("RGB"))
        if square.size != (image_size, image_size):
            square = square.resize((image_size, image_size), resample=Image.Resampling.BICUBIC)
        arrays.append(np.asarray(square, dtype=np.uint8))
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()


def _channel_vector(values: Sequence[float], like: torch.Tensor) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float32, device=like.device).view(1, 3, 1, 1)


def normalize_uint8(pixels: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """uint8 [B, 3, S, S] -> CLIP-normalised floats, computed in fp32 then cast to `dtype`."""
    scaled = pixels.float() * (1 / 255)
    normalized = (scaled - _channel_vector(CLIP_MEAN, scaled)) / _channel_vector(CLIP_STD, scaled)
    return normalized.to(dtype)


def preprocess_images(images: Sequence[Image.Image], image_size: int = 1024,
                      device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """PIL images -> the tower's input [B, 3, S, S] on `device`."""
    return normalize_uint8(images_to_uint8(images, image_size).to(device), dtype)


def unnormalize_to_pixels(pixel_values: torch.Tensor) -> torch.Tensor:
    """CLIP-normalised [B, 3, H, W] -> fp32 values in 0-255 units."""
    x = pixel_values.float()
    return (x * _channel_vector(CLIP_STD, x) + _channel_vector(CLIP_MEAN, x)) * 255.0


def pix2struct_grid(image_height: int, image_width: int, patch_size: int, max_patches: int) -> tuple[int, int]:
    """(rows, columns) of patches Pix2StructImageProcessor picks for an image of this size."""
    scale = (max_patches * (patch_size / image_height) * (patch_size / image_width)) ** 0.5
    rows = max(min(int(scale * image_height / patch_size), max_patches), 1)
    cols = max(min(int(scale * image_width / patch_size), max_patches), 1)
    return rows, cols


def pix2struct_patches(pixel_values: torch.Tensor, patch_size: int = 16, max_patches: int = 2048,
                       pad_to_max_patches: bool = False) -> torch.Tensor:
    """CLIP-normalised [B, 3, H, W] -> fp32 flattened patches [B, rows*cols, 2 + 3*patch*patch].

    With `pad_to_max_patches` the result is zero-padded to `max_patches` rows, the processor's layout.
    """
    images = unnormalize_to_pixels(pixel_values)
    batch, channels, height, width = images.shape
    # Per-image standardisation with the population std, floored at 1/sqrt(#values).
    mean = images.mean(dim=(1, 2, 3), keepdim=True)
    std = images.std(dim=(1, 2, 3), keepdim=True, correction=0)
    std = std.clamp_min(1.0 / (channels * height * width) ** 0.5)
    images = (images - mean) / std

    rows, cols = pix2struct_grid(height, width, patch_size, max_patches)
    images = F.interpolate(images, size=(rows * patch_size, cols * patch_size), mode="bilinear",
                           align_corners=False, antialias=True)
    # [B, C, rows, p, cols, p] -> [B, rows, cols, p, p, C]: pixels in (y, x, channel) order.
    patches = images.view(batch, channels, rows, patch_size, cols, patch_size).permute(0, 2, 4, 3, 5, 1)
    patches = patches.reshape(batch, rows * cols, patch_size * patch_size * channels)
    row_ids = torch.arange(1, rows + 1, device=images.device, dtype=torch.float32).repeat_interleave(cols)
    col_ids = torch.arange(1, cols + 1, device=images.device, dtype=torch.float32).repeat(rows)
    ids = torch.stack([row_ids, col_ids], dim=-1).expand(batch, -1, -1)
    result = torch.cat([ids, patches], dim=-1)
    if pad_to_max_patches:
        result = F.pad(result, (0, 0, 0, max_patches - rows * cols))
    return result
