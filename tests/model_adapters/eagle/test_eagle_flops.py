"""FLOP counts of the full-size models, checked against closed-form counts derived from each architecture.

A multiply-add is two FLOPs; norms, activations and softmax are not counted (torch's counter counts
matrix products and convolutions only); attention counts the full score matrix. Counting a 7B model
walks every module on the meta device (about 10 s of CPU each), so the X5 count is built once per
module and the X4 comparison counts the prefill only.
"""

from __future__ import annotations

import pytest

from eagle_eval.model_adapters.eagle.flops import count_sample_flops
from eagle_eval.model_adapters.eagle.presets import get_preset

PROMPT = 1095  # ~70 text tokens around 1,024 image tokens
NEW_TOKENS = 3  # two decode steps at two cache lengths: enough to see the attention span grow
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def x5_7b():
    return count_sample_flops(get_preset("eagle-x5-7b").eagle_config(), PROMPT, NEW_TOKENS)


def test_clip_vit_l14_at_336_without_cls_token(x5_7b) -> None:
    tokens, width, mlp, layers = 24 * 24, 1024, 4096, 24  # the CLS token is dropped before the encoder
    per_layer = 2 * tokens * (4 * width * width + 2 * width * mlp) + 2 * 2 * tokens * tokens * width
    patch_embedding = 2 * tokens * width * (3 * 14 * 14)
    assert x5_7b.vision["clip-448"] == layers * per_layer + patch_embedding


def test_convnext_xxlarge_at_1024(x5_7b) -> None:
    depths, dims = (3, 4, 30, 3), (384, 768, 1536, 3072)
    side = 1024 // 4
    expected = 2 * side * side * dims[0] * 3 * 4 * 4  # 4x4 stride-4 stem
    for stage, (depth, dim) in enumerate(zip(depths, dims, strict=True)):
        if stage:
            side //= 2
            expected += 2 * side * side * dim * dims[stage - 1] * 2 * 2  # 2x2 stride-2 downsampling
        # Per block: depthwise 7x7, then the 4x inverted-bottleneck MLP.
        expected += depth * 2 * side * side * (dim * 7 * 7 + 2 * dim * 4 * dim)
    assert x5_7b.vision["convnext-1024"] == expected
    # timm lists 198.1 GMACs at 256 px; FLOPs grow with the pixel count (x16 at 1024 px).
    assert x5_7b.vision["convnext-1024"] == pytest.approx(2 * 198.1e9 * 16, rel=2e-3)


def test_llama2_7b_prefill_and_decode(x5_7b) -> None:
    hidden, intermediate, layers, vocab = 4096, 11008, 32, 32000
    weights = layers * (4 * hidden * hidden + 3 * hidden * intermediate)

    def attention(queries: int, keys: int) -> int:
        return layers * 2 * 2 * queries * keys * hidden

    lm_head = 2 * hidden * vocab  # one position per forward
    # Some transformers releases compute the RoPE angles as a (counted) matmul: 128 FLOPs per position,
    # a few parts in 10^8 of the total, hence the tolerance.
    assert x5_7b.prefill == pytest.approx(2 * PROMPT * weights + attention(PROMPT, PROMPT) + lm_head, rel=1e-7)
    decode = sum(2 * weights + attention(1, PROMPT + 1 + step) + lm_head for step in range(NEW_TOKENS - 1))
    assert x5_7b.decode == pytest.approx(decode, rel=1e-7)


def test_every_expert_and_the_projector_are_counted(x5_7b) -> None:
    assert list(x5_7b.vision) == ["clip-448", "convnext-1024", "sam-1024", "det-1024", "pix2struct-1024"]
    assert all(value > 1e12 for name, value in x5_7b.vision.items() if name != "clip-448")
    # mlp2x_gelu: 7,680 fused channels -> 4,096 -> 4,096 over 1,024 tokens.
    assert x5_7b.projector == 2 * 1024 * (7680 * 4096 + 4096 * 4096)
    assert x5_7b.total == pytest.approx(sum(x5_7b.parts().values()))


def test_x4_is_x5_without_sam(x5_7b) -> None:
    x4 = count_sample_flops(get_preset("eagle-x4-7b").eagle_config(), PROMPT, 1)  # decode: same LLM as X5's
    # Each remaining expert keeps its own count (a shift between names and towers would show here).
    assert x4.vision == {name: value for name, value in x5_7b.vision.items() if name != "sam-1024"}
    # Without SAM's 1,024 channels the projector's input is 6,656 wide; the LLM prefill is unchanged.
    assert x4.projector == 2 * 1024 * (6656 * 4096 + 4096 * 4096)
    assert x4.prefill == x5_7b.prefill and x4.decode == 0


def test_rejects_an_empty_prompt() -> None:
    with pytest.raises(ValueError, match="at least one prompt position"):
        count_sample_flops(get_preset("eagle-tiny").eagle_config(), 0, 1)
