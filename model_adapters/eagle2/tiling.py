"""Dynamic tiling: one image becomes a grid of square tiles (plus a thumbnail) at the tile size.

What NVIDIA's Eagle 2 / 2.5 preprocessing does (their `dynamic_preprocess` with the area-aware
`find_closest_aspect_ratio`; the evaluation's `load_image`), written out:

1. Candidate grids: every (columns, rows) with `min_tiles <= columns * rows <= max_tiles`, in order of
   tile count. Grids with the same count keep the order in which Python iterates the set of pairs the
   reference builds (`sorted` is stable), so ties break exactly as there (`candidate_grids`).
2. Each grid scores `min(columns * rows * tile² / (width * height), 0.6) * min(r / a, a / r)` with `a` the
   image's and `r` the grid's aspect ratio: enough area (60% of the image's pixels is enough) times aspect
   fit. The first grid with a strictly higher score wins; (1, 1) if none beats minus infinity.
3. The image is resized to (columns * tile, rows * tile) with PIL's default filter (bicubic) and cut row
   by row into tiles; when there is more than one tile, the whole image resized to tile × tile is appended
   as a thumbnail.
4. Each tile: to [0, 1] (÷255) and normalised with mean 0.5, std 0.5 (SigLIP's), in fp32.

The evaluation's "upscaling" (`upscale=True`) first doubles the image's width and height (bilinear).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image

SIGLIP_MEAN = 0.5
SIGLIP_STD = 0.5
AREA_ENOUGH = 0.6


def candidate_grids(min_tiles: int, max_tiles: int) -> list[tuple[int, int]]:
    """(columns, rows) pairs in the reference's order: the set it builds, stably sorted by tile count."""
    pairs = {(i, j) for n in range(min_tiles, max_tiles + 1) for i in range(1, n + 1) for j in range(1, n + 1)
             if min_tiles <= i * j <= max_tiles}
    return sorted(pairs, key=lambda pair: pair[0] * pair[1])


def grid_score(grid: tuple[int, int], width: int, height: int, tile_size: int) -> float:
    aspect = width / height
    target = grid[0] / grid[1]
    area = min(grid[0] * grid[1] * tile_size * tile_size / (width * height), AREA_ENOUGH)
    return area * min(target / aspect, aspect / target)


def choose_grid(width: int, height: int, min_tiles: int, max_tiles: int, tile_size: int) -> tuple[int, int]:
    """The (columns, rows) grid an image of `width` × `height` is cut into."""
    best, best_score = (1, 1), float("-inf")
    for grid in candidate_grids(min_tiles, max_tiles):
        score = grid_score(grid, width, height, tile_size)
        if score > best_score:
            best, best_score = grid, score
    return best


def upscaled(image: Image.Image) -> Image.Image:
    """The evaluation's upscaling: width and height doubled, bilinear."""
    return image.resize((image.width * 2, image.height * 2), Image.Resampling.BILINEAR)


def tile_image(image: Image.Image, min_tiles: int, max_tiles: int, tile_size: int,
               use_thumbnail: bool = True) -> list[Image.Image]:
    """The tiles of one RGB image, row by row, then the thumbnail when there is more than one tile."""
    columns, rows = choose_grid(image.width, image.height, min_tiles, max_tiles, tile_size)
    resized = image.resize((columns * tile_size, rows * tile_size), Image.Resampling.BICUBIC)
    tiles = [resized.crop((c * tile_size, r * tile_size, (c + 1) * tile_size, (r + 1) * tile_size))
             for r in range(rows) for c in range(columns)]
    if use_thumbnail and len(tiles) != 1:
        tiles.append(image.resize((tile_size, tile_size), Image.Resampling.BICUBIC))
    return tiles


def tiles_to_uint8(tiles: Sequence[Image.Image]) -> torch.Tensor:
    """[T, 3, S, S] uint8 from RGB tiles."""
    return torch.from_numpy(np.stack([np.asarray(t.convert("RGB"), dtype=np.uint8) for t in tiles])).permute(0, 3, 1, 2)


def normalize(pixels: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """uint8 tiles -> SigLIP-normalised values, computed in fp32 as ToTensor + Normalize do, then cast."""
    values = pixels.float().div(255)
    return values.sub(SIGLIP_MEAN).div(SIGLIP_STD).to(dtype)


def preprocess_image(image: Image.Image, max_tiles: int, tile_size: int, min_tiles: int = 1,
                     use_thumbnail: bool = True, upscale: bool = False) -> torch.Tensor:
    """One image -> uint8 tiles [T, 3, S, S] (normalise on the model's device with `normalize`)."""
    image = image.convert("RGB")
    if upscale:
        image = upscaled(image)
    return tiles_to_uint8(tile_image(image, min_tiles, max_tiles, tile_size, use_thumbnail))
