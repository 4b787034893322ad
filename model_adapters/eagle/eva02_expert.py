"""EVA-02-L ViTDet backbone expert ("det-1024").

A small module of our own rather than timm's `Eva`: the checkpoint stores q/k/v as three bias-free
projections plus separate `q_bias`/`v_bias` parameters and the SwiGLU as `w1`/`w2`/`ffn_ln`/`w3`, and
the ViTDet layout (windowed attention in most blocks, global attention over the full 64x64 grid in
blocks 2, 5, ..., 23, each with its own RoPE table, absolute position embeddings interpolated from a
14x14 pre-training grid) has no equivalent in timm's EVA blocks. Attention is fused
(`F.scaled_dot_product_attention`): there is no attention bias, so the flash/memory-efficient kernels
apply.

RoPE tables (`rope_win`, `rope_glb`, and the same modules reached as `blocks.N.attn.rope`) are
persistent buffers only so that the state-dict layout matches the checkpoint; they are recomputed in
fp32 whenever the module moves (`_apply`), never loaded, and stay fp32 under `.to(bfloat16)`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from eagle_eval.model_adapters.eagle.vision_config import Eva02ExpertConfig


def rope_tables(head_dim: int, grid: int, pretrain_grid: int, theta: float,
                device: torch.device | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """cos/sin tables [grid*grid, head_dim] for 2-D RoPE: the first half of each head rotates with the
    token's row, the second half with its column; positions are rescaled onto the pre-training grid;
    frequencies repeat in adjacent pairs (interleaved rotation)."""
    axis_dim = head_dim // 2
    inv_freq = 1.0 / (theta ** (torch.arange(0, axis_dim, 2, device=device).float() / axis_dim))
    positions = torch.arange(grid, device=device).float() / grid * pretrain_grid
    angles = torch.outer(positions, inv_freq).repeat_interleave(2, dim=-1)  # [grid, axis_dim]
    rows = angles[:, None, :].expand(grid, grid, axis_dim)
    cols = angles[None, :, :].expand(grid, grid, axis_dim)
    table = torch.cat([rows, cols], dim=-1).reshape(grid * grid, head_dim)
    return table.cos(), table.sin()


def rotate_pairs(x: torch.Tensor) -> torch.Tensor:
    """(x0, x1, x2, x3, ...) -> (-x1, x0, -x3, x2, ...)."""
    pairs = x.unflatten(-1, (-1, 2))
    return torch.stack((-pairs[..., 1], pairs[..., 0]), dim=-1).flatten(-2)


class Rope2D(nn.Module):
    freqs_cos: torch.Tensor
    freqs_sin: torch.Tensor

    def __init__(self, head_dim: int, grid: int, pretrain_grid: int, theta: float) -> None:
        super().__init__()
        self.head_dim, self.grid, self.pretrain_grid, self.theta = head_dim, grid, pretrain_grid, theta
        cos, sin = rope_tables(head_dim, grid, pretrain_grid, theta)
        self.register_buffer("freqs_cos", cos)
        self.register_buffer("freqs_sin", sin)

    def recompute(self) -> None:
        device = self.freqs_cos.device
        self.freqs_cos, self.freqs_sin = rope_tables(self.head_dim, self.grid, self.pretrain_grid,
                                                     self.theta, device=device)

    def _apply(self, fn, recurse=True):  # noqa: ANN001 - torch's signature
        super()._apply(fn, recurse)
        self.recompute()
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: [..., N, head_dim] with N = grid*grid, rotated in fp32."""
        x32 = x.float()
        return x32 * self.freqs_cos + rotate_pairs(x32) * self.freqs_sin


class EvaAttention(nn.Module):
    def __init__(self, dim: int, num_heads: int, rope: Rope2D) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.q_bias = nn.Parameter(torch.zeros(dim))
        self.v_bias = nn.Parameter(torch.zeros(dim))
        self.q_proj = nn.Linear(dim, dim, bias=False)
        self.k_proj = nn.Linear(dim, dim, bias=False)
        self.v_proj = nn.Linear(dim, dim, bias=False)
        self.rope = rope
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: [B', N, C] tokens of one window (or of the whole grid for global blocks)."""
        batch, tokens, dim = x.shape
        heads_shape = (batch, tokens, self.num_heads, dim // self.num_heads)
        q = F.linear(x, self.q_proj.weight, self.q_bias).view(heads_shape).transpose(1, 2)
        k = F.linear(x, self.k_proj.weight).view(heads_shape).transpose(1, 2)
        v = F.linear(x, self.v_proj.weight, self.v_bias).view(heads_shape).transpose(1, 2)
        q = self.rope(q).to(v.dtype)
        k = self.rope(k).to(v.dtype)
        out = F.scaled_dot_product_attention(q, k, v)
        return self.proj(out.transpose(1, 2).reshape(batch, tokens, dim))


class SwiGLU(nn.Module):
    def __init__(self, dim: int, hidden: int, eps: float) -> None:
        super().__init__()
        self.w1 = nn.Linear(dim, hidden)
        self.w2 = nn.Linear(dim, hidden)
        self.ffn_ln = nn.LayerNorm(hidden, eps=eps)
        self.w3 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w3(self.ffn_ln(F.silu(self.w1(x)) * self.w2(x)))


def window_partition(x: torch.Tensor, window: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """[B, H, W, C] -> [B * windows, window*window, C], zero-padding H and W up to multiples of window."""
    batch, height, width, channels = x.shape
    pad_h, pad_w = (-height) % window, (-width) % window
    if pad_h or pad_w:
        x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h))
    hp, wp = height + pad_h, width + pad_w
    x = x.view(batch, hp // window, window, wp // window, window, channels).transpose(2, 3)
    return x.reshape(-1, window * window, channels), (hp, wp)


def window_unpartition(windows: torch.Tensor, window: int, padded: tuple[int, int],
                       size: tuple[int, int]) -> torch.Tensor:
    hp, wp = padded
    channels = windows.shape[-1]
    x = windows.view(-1, hp // window, wp // window, window, window, channels).transpose(2, 3)
    x = x.reshape(-1, hp, wp, channels)
    return x[:, : size[0], : size[1]]


class EvaBlock(nn.Module):
    def __init__(self, config: Eva02ExpertConfig, window: int, rope: Rope2D) -> None:
        super().__init__()
        dim = config.hidden_size
        self.window = window  # 0: global attention over the whole grid
        self.norm1 = nn.LayerNorm(dim, eps=config.layer_norm_eps)
        self.attn = EvaAttention(dim, config.num_heads, rope)
        self.norm2 = nn.LayerNorm(dim, eps=config.layer_norm_eps)
        self.mlp = SwiGLU(dim, config.mlp_hidden, config.layer_norm_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: [B, H, W, C]."""
        batch, height, width, channels = x.shape
        normed = self.norm1(x)
        if self.window:
            windows, padded = window_partition(normed, self.window)
            attended = window_unpartition(self.attn(windows), self.window, padded, (height, width))
        else:
            attended = self.attn(normed.reshape(batch, height * width, channels)).view_as(x)
        x = x + attended
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, patch_size: int, dim: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(3, dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).permute(0, 2, 3, 1)


class EvaViTDet(nn.Module):
    def __init__(self, config: Eva02ExpertConfig) -> None:
        super().__init__()
        self.config = config
        dim, head_dim = config.hidden_size, config.hidden_size // config.num_heads
        self.pos_embed = nn.Parameter(torch.zeros(1, config.pretrain_grid**2 + 1, dim))
        self.patch_embed = PatchEmbed(config.patch_size, dim)
        self.rope_win = Rope2D(head_dim, config.window_size, config.rope_pretrain_grid, config.rope_theta)
        self.rope_glb = Rope2D(head_dim, config.grid, config.rope_pretrain_grid, config.rope_theta)
        self.blocks = nn.ModuleList(
            EvaBlock(config, 0, self.rope_glb) if i in config.global_block_indexes
            else EvaBlock(config, config.window_size, self.rope_win)
            for i in range(config.num_layers)
        )

    def absolute_positions(self, height: int, width: int) -> torch.Tensor:
        """[1, H, W, C]: the pre-training grid (cls slot dropped) resized bicubically in fp32."""
        grid = self.config.pretrain_grid
        pos = self.pos_embed[:, 1:].reshape(1, grid, grid, -1).permute(0, 3, 1, 2)
        if (height, width) != (grid, grid):
            pos = F.interpolate(pos.float(), size=(height, width), mode="bicubic", align_corners=False)
        return pos.to(self.pos_embed.dtype).permute(0, 2, 3, 1)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """[B, 3, S, S] -> [B, C, S/16, S/16]."""
        x = self.patch_embed(pixel_values.to(self.patch_embed.proj.weight.dtype))
        x = x + self.absolute_positions(x.shape[1], x.shape[2])
        for block in self.blocks:
            x = block(x)
        return x.permute(0, 3, 1, 2)


class Eva02Expert(nn.Module):
    def __init__(self, config: Eva02ExpertConfig) -> None:
        super().__init__()
        self.config = config
        self.input_size = config.image_size
        self.out_channels = config.out_channels
        self.vision_tower = EvaViTDet(config)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.vision_tower(pixel_values)
