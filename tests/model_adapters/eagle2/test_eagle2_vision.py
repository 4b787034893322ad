"""The pixel shuffle on a hand-built tensor, the feature layer and the connector."""

from __future__ import annotations

import pytest
import torch

from eagle_eval.model_adapters.eagle2.modeling import Eagle2Model, build_projector, pixel_shuffle
from eagle_eval.model_adapters.eagle2.presets import get_preset


def test_pixel_shuffle_gathers_each_two_by_two_block_row_by_row() -> None:
    # A 4 × 4 grid of patches whose 2 channels say where they are: (row, column).
    grid = torch.tensor([[[r, c] for c in range(4)] for r in range(4)], dtype=torch.float32)
    features = grid.reshape(1, 16, 2)
    out = pixel_shuffle(features, 2)
    assert out.shape == (1, 4, 8)
    # Output token 2R + C holds patches (2R, 2C), (2R, 2C+1), (2R+1, 2C), (2R+1, 2C+1), channels concatenated.
    for big_r in range(2):
        for big_c in range(2):
            expected = [2 * big_r, 2 * big_c, 2 * big_r, 2 * big_c + 1,
                        2 * big_r + 1, 2 * big_c, 2 * big_r + 1, 2 * big_c + 1]
            assert out[0, 2 * big_r + big_c].tolist() == expected


def test_pixel_shuffle_refuses_a_grid_it_cannot_merge() -> None:
    with pytest.raises(ValueError, match="square grid"):
        pixel_shuffle(torch.zeros(1, 15, 4), 2)
    with pytest.raises(ValueError, match="square grid"):
        pixel_shuffle(torch.zeros(1, 9, 4), 2)


def test_connector_is_layernorm_linear_gelu_linear_with_released_indices() -> None:
    projector = build_projector(128, 32)
    assert [type(m).__name__ for m in projector] == ["LayerNorm", "Linear", "GELU", "Linear"]
    assert sorted(projector.state_dict()) == ["0.bias", "0.weight", "1.bias", "1.weight", "3.bias", "3.weight"]


@pytest.fixture(scope="module")
def tiny_model() -> Eagle2Model:
    torch.manual_seed(0)
    return Eagle2Model(get_preset("eagle2.5-tiny").eagle2_config(vocab_size=64, image_token_index=5)).eval()


def test_features_are_the_hidden_state_three_layers_before_the_last(tiny_model: Eagle2Model) -> None:
    pixels = torch.randn(3, 3, 28, 28)
    out = tiny_model.vision_model(pixel_values=pixels, output_hidden_states=True)
    assert len(out.hidden_states) == 5  # embeddings + 4 layers
    torch.testing.assert_close(tiny_model.vision_features(pixels), out.hidden_states[1])
    tokens = tiny_model.encode_tiles(pixels)
    assert tokens.shape == (3, tiny_model.config.tokens_per_tile, 64)
    torch.testing.assert_close(tokens, tiny_model.mlp1(pixel_shuffle(out.hidden_states[1], 2)))


def test_splice_puts_tile_tokens_in_order_and_left_pads(tiny_model: Eagle2Model) -> None:
    index = tiny_model.config.image_token_index
    rows = [[7, index, index, 8], [9, index, index, 10, 11, 12]]
    image = torch.arange(4 * 64, dtype=torch.float32).reshape(4, 64)
    inputs = tiny_model.build_inputs(rows, image)
    assert inputs.attention_mask.tolist() == [[0, 0, 1, 1, 1, 1], [1] * 6]
    assert inputs.position_ids.tolist() == [[0, 0, 0, 1, 2, 3], [0, 1, 2, 3, 4, 5]]
    torch.testing.assert_close(inputs.inputs_embeds[0, 3:5], image[0:2])
    torch.testing.assert_close(inputs.inputs_embeds[1, 1:3], image[2:4])
    assert not inputs.inputs_embeds[0, :2].any()
    with pytest.raises(ValueError, match="image-context token"):
        tiny_model.build_inputs(rows, image[:3])
