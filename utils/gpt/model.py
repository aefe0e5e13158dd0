"""Notebook 08's GPT, with the switches of the fast recipe: the model and nothing else.

`GPTConfig()` with no switches is exactly the model notebook 08 builds (same parameter names, so
08's state dicts load here). The switches add what the time-to-quality benchmark
(tests/benchmarks/gpt_time_to_quality.py) measured to help on a CPU: rotary positions, QK-norm,
ReLU², no biases and zero-initialised output projections.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class GPTConfig:
    vocab_size: int
    block_size: int = 64  # context length T, in tokens
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    bias: bool = True  # biases in Linear and LayerNorm (08); nanoGPT's recipe has none
    tie: bool = False  # the head shares the token embedding matrix (nanoGPT)
    init_std: float | None = None  # None: PyTorch's default init (08); nanoGPT: 0.02
    rope: bool = False  # rotary positions (Su et al. 2021) instead of a learned table
    qk_norm: bool = False  # RMS-normalise queries and keys per head (Henry et al. 2020)
    relu2: bool = False  # ReLU(x)^2 instead of GELU in the MLP (So et al. 2021)
    zero_init: bool = False  # output projections start at zero: each block starts as identity
    dropout: float = 0.0  # on attention weights and each block's two outputs, in training


class Block(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        C, bias = config.n_embd, config.bias
        self.config = config
        self.ln1, self.ln2 = nn.LayerNorm(C, bias=bias), nn.LayerNorm(C, bias=bias)
        self.qkv = nn.Linear(C, 3 * C, bias=bias)
        self.proj = nn.Linear(C, C, bias=bias)
        # mlp.1 holds no weights, so either activation keeps 08's parameter names (mlp.0, mlp.2)
        self.mlp = nn.Sequential(
            nn.Linear(C, 4 * C, bias=bias),
            ReLU2() if config.relu2 else nn.GELU(),
            nn.Linear(4 * C, C, bias=bias),
        )

    def attn(self, x, rope):  # x (B, T, C)
        B, T, C = x.shape
        nh, p = self.config.n_head, self.config.dropout if self.training else 0.0
        qkv = self.qkv(x).view(B, T, 3, nh, C // nh)  # (B, T, 3, nh, hs)
        qk, v = qkv[:, :, :2], qkv[:, :, 2]  # queries and keys together: one rotation, one norm
        if self.config.qk_norm:
            qk = F.rms_norm(qk, qk.shape[-1:])
        if rope is not None:
            qk = rotate(qk, rope)
        q, k = qk.permute(2, 0, 3, 1, 4)  # each (B, nh, T, hs)
        y = F.scaled_dot_product_attention(q, k, v.transpose(1, 2), is_causal=True, dropout_p=p)
        return F.dropout(self.proj(y.transpose(1, 2).reshape(B, T, C)), p, self.training)

    def forward(self, x, rope=None):
        x = x + self.attn(self.ln1(x), rope)
        return x + F.dropout(self.mlp(self.ln2(x)), self.config.dropout, self.training)


def rotary(T, head_size, device=None, base=10000.0):
    """Unit complex numbers e^(i t w_j), w_j = base^(-2j/d), as (T, head_size/2, 2) real pairs."""
    inv_freq = base ** (-torch.arange(0, head_size, 2, device=device).float() / head_size)
    angles = torch.arange(T, device=device).float()[:, None] * inv_freq
    return torch.view_as_real(torch.polar(torch.ones_like(angles), angles))


def rotate(x, rot):
    """Rotate each pair (x_2j, x_2j+1) of the head dimension by its angle (Su et al. 2021): read
    as complex numbers, one multiplication x * e^(i t w_j), one kernel forward and one backward."""
    pairs = torch.view_as_complex(x.unflatten(-1, (-1, 2)))
    return torch.view_as_real(pairs * torch.view_as_complex(rot)).flatten(-2)


class ReLU2Function(torch.autograd.Function):
    """ReLU(x)^2 with gradient 2 ReLU(x) g: two elementwise kernels each way, where autograd's
    relu(x).square() takes five and is slower on a CPU than the GELU it replaces."""

    @staticmethod
    def forward(ctx, x):
        r = x.relu()
        ctx.save_for_backward(r)
        return r * r

    @staticmethod
    def backward(ctx, g):
        (r,) = ctx.saved_tensors
        return (g * r).mul_(2)


class ReLU2(nn.Module):
    """ReLU(x)^2 as a layer (So et al. 2021, "Primer")."""

    def forward(self, x):
        return ReLU2Function.apply(x)


class GPT(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.block_size = config.block_size
        self.tok = nn.Embedding(config.vocab_size, config.n_embd)
        if not config.rope:
            self.pos = nn.Embedding(config.block_size, config.n_embd)
        self.blocks = nn.Sequential(*[Block(config) for _ in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        if config.tie:
            self.head.weight = self.tok.weight
        if config.init_std is not None:
            self._init_like_nanogpt(config.init_std)
        if config.zero_init:
            for layer in [m for b in self.blocks for m in (b.proj, b.mlp[2])]:
                for p in layer.parameters():
                    nn.init.zeros_(p)
        if config.rope:
            head_size = config.n_embd // config.n_head
            self.register_buffer("rot", rotary(config.block_size, head_size), persistent=False)

    def _init_like_nanogpt(self, std):
        """N(0, std) for matrices, residual projections scaled by 1/sqrt(2L), zero biases."""
        residual_std = std / math.sqrt(2 * self.config.n_layer)
        for name, p in self.named_parameters():
            if p.dim() == 2:
                residual = name.endswith(("proj.weight", "mlp.2.weight"))
                nn.init.normal_(p, 0.0, residual_std if residual else std)
            elif name.endswith("bias") and "ln" not in name:
                nn.init.zeros_(p)

    def forward(self, idx):  # idx (B, T) token ids
        x = self.tok(idx)  # (B, T, C)
        T = idx.shape[1]
        rope = self.rot[:T, None, None] if self.config.rope else None  # (T, 1, 1, hs/2, 2)
        if rope is None:
            x = x + self.pos(torch.arange(T, device=idx.device))
        for block in self.blocks:
            x = block(x, rope)
        return self.head(self.ln_f(x))  # (B, T, vocab_size)
