"""Every positional encoding of pe-train's registry, in plain PyTorch.

A line-by-line port of src/PeTools.Torch/Positional/*.cs: the same formulas, the same float64 angle tables, the same
parameter names (so state-dict keys under `pe.` match the C# ones). Each PE has the three hooks of the C# base class:

    add_to_embedding(x)                 (B, T, D) -> (B, T, D)        absolute PEs
    rotate_query_key(layer, q, k)       (B, H, T, dh) each            multiplicative PEs
    logit_bias(layer, tq, tk)           (H, Tq, Tk) or None           additive (Toeplitz) biases

Positions are implicit: token t sits at position t (0-based), padding included, as in the reference code.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def positions(length, like):
    """0..length-1 as float64 on like's device (C#: PositionalEncoding.Positions)."""
    return torch.arange(length, dtype=torch.float64, device=like.device)


def offsets(tq, tk, like):
    """Signed offsets j - i, (Tq, Tk) int64 (C#: PositionalEncoding.Offsets)."""
    i = torch.arange(tq, dtype=torch.int64, device=like.device).unsqueeze(1)
    j = torch.arange(tk, dtype=torch.int64, device=like.device).unsqueeze(0)
    return j - i


def sinusoid_frequencies(d):
    """omega_i = 10000^(-2i/d), i = 0..d/2-1, float64 (C#: SinusoidalEncoding.Frequencies)."""
    return torch.pow(10000.0, -(torch.arange(0, d, 2, dtype=torch.float64) / d))


class PositionalEncoding(nn.Module):
    coupling = "none"

    def add_to_embedding(self, x):
        return x

    def rotate_query_key(self, layer, q, k):
        return q, k

    def logit_bias(self, layer, tq, tk):
        return None


class NoPositionalEncoding(PositionalEncoding):
    def __init__(self, cfg):
        super().__init__()


class SinusoidalEncoding(PositionalEncoding):
    """Interleaved: PE[p, 2i] = sin(p w_i), PE[p, 2i+1] = cos(p w_i), added unscaled (reference `absolute`)."""
    coupling = "additive"

    def __init__(self, cfg):
        super().__init__()
        self.register_buffer("inv_freq", sinusoid_frequencies(cfg.d_model), persistent=False)

    def add_to_embedding(self, x):
        angles = torch.outer(positions(x.shape[1], x), self.inv_freq)                   # (T, D/2)
        table = torch.stack([angles.sin(), angles.cos()], dim=-1).flatten(-2).to(x.dtype)  # (T, D) sin even, cos odd
        return x + table


class LearnedAbsoluteEncoding(PositionalEncoding):
    """Embedding(max_len, d_model), N(0, 1), added (reference `random`). Key: pe.embedding.weight."""
    coupling = "additive"

    def __init__(self, cfg):
        super().__init__()
        self.max_len = cfg.max_len
        self.embedding = nn.Embedding(cfg.max_len, cfg.d_model)

    def add_to_embedding(self, x):
        t = x.shape[1]
        if t > self.max_len:
            raise ValueError(f"sequence length {t} exceeds max_len {self.max_len} of the learned PE")
        return x + self.embedding(torch.arange(t, dtype=torch.int64, device=x.device))


class RotaryEncoding(PositionalEncoding):
    """Pure RoPE: adjacent pairs (2i, 2i+1) of the first d_rot dims of the first rope_heads heads rotate by p*theta_i."""
    coupling = "multiplicative"

    def __init__(self, cfg):
        super().__init__()
        o = cfg.pe_options
        head_dim = cfg.d_model // cfg.heads
        if not o["rope_base"] > 1:
            raise ValueError("rope_base must be > 1")
        # Python's round() and .NET's Math.Round both round half to even, so d_rot agrees for every fraction.
        self.rotary_dims = 2 * round(o["rotary_fraction"] * head_dim / 2)
        if self.rotary_dims < 2 or not 0 < o["rotary_fraction"] <= 1:
            raise ValueError("rotary_fraction must leave at least one rotating pair")
        rope_heads = o.get("rope_heads")
        self.rotary_heads = cfg.heads if rope_heads is None else rope_heads
        if not 0 <= self.rotary_heads <= cfg.heads:
            raise ValueError(f"rope_heads must be in 0..{cfg.heads}")
        d = self.rotary_dims
        inv_freq = torch.pow(float(o["rope_base"]), -(torch.arange(0, d, 2, dtype=torch.float64) / d))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def angles(self, x):
        """p * theta_i for the positions of x (B, H, T, dh): (T, d_rot/2) float64."""
        return torch.outer(positions(x.shape[2], x), self.inv_freq)

    def rotate_query_key(self, layer, q, k):
        return self.rotate(q, *self.cos_sin(q)), self.rotate(k, *self.cos_sin(k))

    def cos_sin(self, x):
        a = self.angles(x)
        return a.cos().to(x.dtype), a.sin().to(x.dtype)

    def rotate(self, x, cos, sin):
        """(x_2i + i x_2i+1) * (cos + i sin) on the rotating heads/dims; the rest passes through."""
        b, heads, t, dh = x.shape
        kh, d = min(self.rotary_heads, heads), self.rotary_dims
        head = x[:, :kh]                                                       # (B, k, T, dh)
        pairs = head[..., :d].reshape(b, kh, t, d // 2, 2)                     # (B, k, T, d/2, 2)
        x0, x1 = pairs[..., 0], pairs[..., 1]                                  # (B, k, T, d/2)
        turned = torch.stack([x0 * cos - x1 * sin, x0 * sin + x1 * cos], dim=-1)  # (B, k, T, d/2, 2)
        rotated = torch.cat([turned.flatten(-2), head[..., d:]], dim=3)        # (B, k, T, dh)
        return torch.cat([rotated, x[:, kh:]], dim=1)                          # (B, H, T, dh)


class RotaryAbsoluteEncoding(RotaryEncoding):
    """The reference trans.py `rope`: RoPE plus an additive [sin block | cos block] table, w = 10000^(-2i/d_model)."""

    def __init__(self, cfg):
        super().__init__(cfg)
        self.register_buffer("abs_freq", sinusoid_frequencies(cfg.d_model), persistent=False)

    def add_to_embedding(self, x):
        angles = torch.outer(positions(x.shape[1], x), self.abs_freq)                # (T, D/2)
        return x + torch.cat([angles.sin(), angles.cos()], dim=-1).to(x.dtype)       # (B, T, D)


class XposEncoding(RotaryEncoding):
    """RoPE with pair i scaled by zeta_i^(n/gamma) on queries and zeta_i^(-n/gamma) on keys (positions not centred)."""

    def __init__(self, cfg):
        super().__init__(cfg)
        self.gamma = float(cfg.pe_options["xpos_scale_base"])
        d = self.rotary_dims
        self.register_buffer("zeta", (torch.arange(0, d, 2, dtype=torch.float64) / d + 0.4) / 1.4, persistent=False)

    def rotate_query_key(self, layer, q, k):
        return self.scaled(q, +1.0), self.scaled(k, -1.0)

    def scaled(self, x, sign):
        angles = self.angles(x)                                                       # (T, d_rot/2)
        exponent = positions(x.shape[2], x).unsqueeze(1) * (sign / self.gamma)        # (T, 1)
        scale = self.zeta.unsqueeze(0).pow(exponent)                                  # (T, d_rot/2)
        return self.rotate(x, (angles.cos() * scale).to(x.dtype), (angles.sin() * scale).to(x.dtype))


class AlibiBias(PositionalEncoding):
    """Symmetric ALiBi -m_h |i - j|; slopes computed in float64 and stored float32, as the C# code does."""
    coupling = "additive"

    def __init__(self, slopes):
        super().__init__()
        self.register_buffer("slopes", torch.tensor(slopes, dtype=torch.float32), persistent=False)

    def logit_bias(self, layer, tq, tk):
        distance = offsets(tq, tk, self.slopes).abs().to(torch.float32)              # (Tq, Tk)
        return (self.slopes.view(-1, 1, 1) * distance).neg()                          # (H, Tq, Tk)


def alibi_reference(cfg):
    return AlibiBias([math.exp(-h / cfg.heads) for h in range(cfg.heads)])


def alibi_standard(cfg):
    return AlibiBias([math.pow(2.0, -8.0 * (h + 1) / cfg.heads) for h in range(cfg.heads)])


class RelativeBias(PositionalEncoding):
    """Reference `relative`: B_l[j - i + max_len - 1, h], one table per layer. Key: pe.tables (L, 2 max_len - 1, H)."""
    coupling = "additive"

    def __init__(self, cfg):
        super().__init__()
        self.max_len = cfg.max_len
        self.tables = nn.Parameter(torch.randn(cfg.layers, 2 * cfg.max_len - 1, cfg.heads) * 0.02)

    def logit_bias(self, layer, tq, tk):
        if max(tq, tk) > self.max_len:
            raise ValueError(f"sequence length {max(tq, tk)} exceeds max_len {self.max_len} of the relative PE")
        index = offsets(tq, tk, self.tables) + (self.max_len - 1)                    # (Tq, Tk)
        return self.tables[layer][index].permute(2, 0, 1)                             # (H, Tq, Tk)


class T5RelativeBias(PositionalEncoding):
    """T5 bucketed bias, bidirectional, one table for all layers. Key: pe.relative_attention_bias.weight (buckets, H)."""
    coupling = "additive"

    def __init__(self, cfg):
        super().__init__()
        self.buckets = cfg.pe_options["t5_buckets"]
        self.max_distance = cfg.pe_options["t5_max_distance"]
        self.relative_attention_bias = nn.Embedding(self.buckets, cfg.heads)
        nn.init.normal_(self.relative_attention_bias.weight, 0.0, 0.02)

    def logit_bias(self, layer, tq, tk):
        index = self.bucket(offsets(tq, tk, self.relative_attention_bias.weight))     # (Tq, Tk)
        return self.relative_attention_bias(index).permute(2, 0, 1)                   # (H, Tq, Tk)

    def bucket(self, offset):
        half = self.buckets // 2
        exact = half // 2
        distance = offset.abs()
        clamped = distance.clamp_min(exact).to(torch.float64)
        log_bucket = (clamped / exact).log() / math.log(self.max_distance / exact) * (half - exact)
        large = (log_bucket.to(torch.int64) + exact).clamp_max(half - 1)
        return torch.where(distance < exact, distance, large) + (offset > 0).to(torch.int64) * half


class KerpleBias(PositionalEncoding):
    """KERPLE-log -softplus(r1) log(1 + softplus(r2) |i - j|) per layer and head. Keys: pe.r1, pe.r2 (L, H)."""
    coupling = "additive"

    def __init__(self, cfg):
        super().__init__()
        r2 = torch.pow(2.0, torch.arange(cfg.heads, dtype=torch.float32) * (-8.0 / cfg.heads))
        self.r1 = nn.Parameter(torch.ones(cfg.layers, cfg.heads).expm1().log())
        self.r2 = nn.Parameter(r2.unsqueeze(0).repeat(cfg.layers, 1).expm1().log())

    def logit_bias(self, layer, tq, tk):
        distance = offsets(tq, tk, self.r1).abs().to(self.r1.dtype)                  # (Tq, Tk)
        scale = F.softplus(self.r1[layer]).view(-1, 1, 1)                             # (H, 1, 1)
        rate = F.softplus(self.r2[layer]).view(-1, 1, 1)                              # (H, 1, 1)
        return (rate * distance).log1p().mul(scale).neg()                             # (H, Tq, Tk)


# The registry, in the C# order (PositionalEncodings.All): key -> factory.
REGISTRY = {
    "nope": NoPositionalEncoding,
    "sinusoidal": SinusoidalEncoding,
    "learned": LearnedAbsoluteEncoding,
    "rope": RotaryEncoding,
    "rope-abs": RotaryAbsoluteEncoding,
    "xpos": XposEncoding,
    "alibi": alibi_reference,
    "alibi-std": alibi_standard,
    "relative": RelativeBias,
    "t5": T5RelativeBias,
    "kerple": KerpleBias,
}


def create(cfg):
    if cfg.pe not in REGISTRY:
        raise ValueError(f"unknown pe {cfg.pe!r}; one of {', '.join(REGISTRY)}")
    return REGISTRY[cfg.pe](cfg)
