"""Dynamic tiling: the grid choice derived by hand, the candidate order, the tiles and the thumbnail."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from eagle_eval.model_adapters.eagle2.tiling import (
    candidate_grids,
    choose_grid,
    grid_score,
    normalize,
    preprocess_image,
    tile_image,
    upscaled,
)


def test_candidates_are_ordered_by_tile_count_and_bounded() -> None:
    grids = candidate_grids(1, 6)
    assert grids[0] == (1, 1)
    counts = [c * r for c, r in grids]
    assert counts == sorted(counts) and max(counts) == 6 and min(counts) == 1
    assert set(grids) == {(c, r) for c in range(1, 7) for r in range(1, 7) if c * r <= 6}
    assert all(c * r >= 2 for c, r in candidate_grids(2, 4))


@pytest.mark.parametrize(("width", "height", "max_tiles", "grid"), [
    # 896 × 448 at tile 448: (2, 1) covers the whole image (area ratio 1 → capped at 0.6) with a perfect
    # aspect fit: 0.6 × 1 = 0.6; (1, 1) scores 0.5 × 0.5 = 0.25; (4, 2) also 0.6 but comes later: (2, 1).
    (896, 448, 6, (2, 1)),
    # the same image standing up: (1, 2).
    (448, 896, 6, (1, 2)),
    # a tiny square image: every square grid scores 0.6; the first, (1, 1), wins the tie.
    (40, 40, 12, (1, 1)),
    # 1000 × 200 (aspect 5): (5, 1) fits exactly and covers 0.6 → 0.6; (4, 1) scores 0.6 × 0.8 = 0.48,
    # (6, 1) 0.6 × 5/6 = 0.5: (5, 1).
    (1000, 200, 6, (5, 1)),
    # with at most 4 tiles, aspect 5 gets the widest grid there is, (4, 1): 0.6 × 0.8.
    (1000, 200, 4, (4, 1)),
])
def test_grid_choice_by_hand(width: int, height: int, max_tiles: int, grid: tuple[int, int]) -> None:
    assert choose_grid(width, height, 1, max_tiles, 448) == grid


def test_score_is_area_capped_at_sixty_percent_times_aspect_fit() -> None:
    assert grid_score((2, 1), 896, 448, 448) == pytest.approx(0.6)
    assert grid_score((1, 1), 896, 448, 448) == pytest.approx(0.5 * 0.5)
    # a large image: one tile covers 448² / (4000 × 4000) of it
    assert grid_score((1, 1), 4000, 4000, 448) == pytest.approx(448 * 448 / 16e6)


def _gradient(width: int, height: int) -> Image.Image:
    x = np.linspace(0, 255, width, dtype=np.float32)[None, :, None]
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None, None]
    pixels = np.concatenate([np.broadcast_to(x, (height, width, 1)), np.broadcast_to(y, (height, width, 1)),
                             np.full((height, width, 1), 128, np.float32)], axis=2)
    return Image.fromarray(pixels.astype(np.uint8))


def test_tiles_are_row_major_crops_of_the_resized_image_then_the_thumbnail() -> None:
    image = _gradient(120, 60)
    tiles = tile_image(image, 1, 6, 30, use_thumbnail=True)
    columns, rows = choose_grid(120, 60, 1, 6, 30)
    assert len(tiles) == columns * rows + 1
    resized = image.resize((columns * 30, rows * 30), Image.Resampling.BICUBIC)
    for k, tile in enumerate(tiles[:-1]):
        c, r = k % columns, k // columns
        assert tile.tobytes() == resized.crop((c * 30, r * 30, c * 30 + 30, r * 30 + 30)).tobytes()
    assert tiles[-1].tobytes() == image.resize((30, 30), Image.Resampling.BICUBIC).tobytes()


def test_one_tile_gets_no_thumbnail_and_thumbnail_can_be_off() -> None:
    assert len(tile_image(_gradient(30, 30), 1, 6, 30, use_thumbnail=True)) == 1
    # 120 × 60 at tile 30, at most 6 tiles: (3, 2) covers 0.75 of the area (capped to 0.6) with aspect fit
    # 1.5 / 2 = 0.75 → 0.45, beating (2, 1), (3, 1), (2, 2) and (4, 1) (0.25 each) and (6, 1) (0.2).
    assert choose_grid(120, 60, 1, 6, 30) == (3, 2)
    assert len(tile_image(_gradient(120, 60), 1, 6, 30, use_thumbnail=False)) == 6


def test_upscaling_doubles_each_side_and_changes_the_grid() -> None:
    image = _gradient(50, 40)
    assert upscaled(image).size == (100, 80)
    small = preprocess_image(image, 12, 28, upscale=False)
    large = preprocess_image(image, 12, 28, upscale=True)
    assert small.dtype == torch.uint8 and small.shape[1:] == (3, 28, 28)
    assert large.shape[0] >= small.shape[0]


def test_normalisation_maps_bytes_to_minus_one_one() -> None:
    pixels = torch.tensor([0, 51, 255], dtype=torch.uint8).reshape(1, 3, 1, 1)
    values = normalize(pixels)
    assert values.flatten().tolist() == pytest.approx([-1.0, 51 / 255 * 2 - 1, 1.0])
