"""pe-train's Transformer classifier in plain PyTorch (torch.nn only), nanoGPT style.

A port of src/PeTools.Torch/Model/*.cs that loads a pe-train run: same architecture, same state-dict keys, the same
fused scaled_dot_product_attention call. Two backbones:

  reference  the paper's trans.py: x0 = Emb(tokens) + PE; every block takes K and V from x0 (un-normalised), Q from
             LN1(x); ReLU FFN; no padding mask; mean over ALL positions (padding included); no final LN.
  standard   pre-LN self-attention, key-padding mask, optional causal mask, GELU FFN, final LN, mean over non-padding.

and two attention kinds: mha (q/k/v/o projections with bias) and mla (DeepSeek latent attention, no biases, one
decoupled rotary branch shared by all heads; the PE must be multiplicative).

    model, cfg = load_run("runs/rope-dist", device="cuda")   # config.json + model.safetensors, strict keys
    logits = model(tokens)                                   # (B, T) int64 -> (B, classes)
"""
import json
import os
from collections import OrderedDict
from dataclasses import dataclass, field, fields
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

import pe_positional


@dataclass
class ModelConfig:
    """The `model` object of a run's config.json (C# TransformerConfig, snake_case); defaults are the paper's."""
    vocab: int = 574
    classes: int = 574
    d_model: int = 256
    dff: int = 512
    heads: int = 16
    layers: int = 6
    dropout: float = 0.1
    max_len: int = 128
    arch: str = "reference"          # reference | standard
    attention: str = "mha"           # mha | mla
    pe: str = "rope"
    pe_options: dict = field(default_factory=lambda: dict(
        rope_base=10000.0, rotary_fraction=1.0, rope_heads=None, xpos_scale_base=512.0, t5_buckets=32,
        t5_max_distance=128))
    causal: bool = False
    d_compress: int = 128
    pe_layers: Optional[list] = None
    pad_id: int = 0

    @property
    def head_dim(self):
        return self.d_model // self.heads

    def pe_active_in(self, layer):
        return self.pe_layers is None or layer in self.pe_layers

    @staticmethod
    def from_json(model_json):
        """Builds a config from config.json's `model` object; unknown keys (head_dim, derived) are ignored."""
        names = {f.name for f in fields(ModelConfig)}
        cfg = ModelConfig(**{k: v for k, v in model_json.items() if k in names})
        cfg.pe_options = {**ModelConfig().pe_options, **(model_json.get("pe_options") or {})}
        if cfg.arch not in ("reference", "standard") or cfg.attention not in ("mha", "mla"):
            raise ValueError(f"unsupported arch/attention {cfg.arch}/{cfg.attention}")
        return cfg


class LayerPositionalEncoding:
    """The PE as layer `layer` sees it: silent outside pe_layers. A plain object, so the PE is registered once (`pe`)."""

    def __init__(self, pe, layer, active):
        self.pe, self.layer, self.active = pe, layer, active

    def rotate_query_key(self, q, k):
        return self.pe.rotate_query_key(self.layer, q, k) if self.active else (q, k)

    def logit_bias(self, tq, tk):
        return self.pe.logit_bias(self.layer, tq, tk) if self.active else None


def attend(q, k, v, bias, mask, dropout_p):
    """softmax(q k^T / sqrt(d_q) + bias + mask) v: C# Attention.Attend's fused path (paper.md section 2)."""
    if bias is not None:
        bias = bias.to(q.dtype)
    additive = mask if bias is None else bias if mask is None else bias + mask   # (B|1, H|1, T, S)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=additive, dropout_p=dropout_p)  # (B, H, T, dv)


class MultiHeadAttention(nn.Module):
    def __init__(self, cfg, positional):
        super().__init__()
        self.heads, self.head_dim, self.dropout = cfg.heads, cfg.head_dim, cfg.dropout
        self.positional = positional
        d = cfg.d_model
        self.q_proj, self.k_proj, self.v_proj, self.o_proj = (nn.Linear(d, d) for _ in range(4))

    def forward(self, query_input, kv_input, mask):
        b, t, _ = query_input.shape
        s = kv_input.shape[1]
        q = self.q_proj(query_input).view(b, t, self.heads, self.head_dim).transpose(1, 2)  # (B, H, T, dh)
        k = self.k_proj(kv_input).view(b, s, self.heads, self.head_dim).transpose(1, 2)     # (B, H, S, dh)
        v = self.v_proj(kv_input).view(b, s, self.heads, self.head_dim).transpose(1, 2)     # (B, H, S, dh)
        q, k = self.positional.rotate_query_key(q, k)
        bias = self.positional.logit_bias(t, s)                                             # (H, T, S) or None
        z = attend(q, k, v, bias, mask, self.dropout if self.training else 0.0)             # (B, H, T, dh)
        return self.o_proj(z.transpose(1, 2).reshape(b, t, self.heads * self.head_dim))     # (B, T, D)


class DecoupledRopeAttention(nn.Module):
    """MLA: latent c_kv, c_q (d -> d_c); content heads from them; one rotary (q_r, k_r) pair shared by all heads."""

    def __init__(self, cfg, positional):
        super().__init__()
        if positional.pe.coupling != "multiplicative":
            raise ValueError(f"--attention mla needs a multiplicative PE, got {cfg.pe}")
        self.heads, self.head_dim, self.dropout = cfg.heads, cfg.head_dim, cfg.dropout
        self.positional = positional
        d, c, hd = cfg.d_model, cfg.d_compress, cfg.heads * cfg.head_dim
        self.kv_down = nn.Linear(d, c, bias=False)
        self.q_down = nn.Linear(d, c, bias=False)
        self.k_up = nn.Linear(c, hd, bias=False)
        self.v_up = nn.Linear(c, hd, bias=False)
        self.q_up = nn.Linear(c, hd, bias=False)
        self.k_rope = nn.Linear(d, self.head_dim, bias=False)
        self.q_rope = nn.Linear(c, self.head_dim, bias=False)
        self.o_proj = nn.Linear(hd, d, bias=False)

    def forward(self, query_input, kv_input, mask):
        b, t, _ = query_input.shape
        s, h, dh = kv_input.shape[1], self.heads, self.head_dim
        c_kv, c_q = self.kv_down(kv_input), self.q_down(query_input)            # (B, S, d_c), (B, T, d_c)
        k_c = self.k_up(c_kv).view(b, s, h, dh).transpose(1, 2)                 # (B, H, S, dh)
        v = self.v_up(c_kv).view(b, s, h, dh).transpose(1, 2)                   # (B, H, S, dh)
        q_c = self.q_up(c_q).view(b, t, h, dh).transpose(1, 2)                  # (B, H, T, dh)
        k_r = self.k_rope(kv_input).unsqueeze(1)                                # (B, 1, S, dh)
        q_r = self.q_rope(c_q).unsqueeze(1)                                     # (B, 1, T, dh)
        q_r, k_r = self.positional.rotate_query_key(q_r, k_r)                   # position only in the rotary half
        bias = self.positional.logit_bias(t, s)
        q = torch.cat([q_c, q_r.expand(b, h, t, dh)], dim=-1)                   # (B, H, T, 2dh)
        k = torch.cat([k_c, k_r.expand(b, h, s, dh)], dim=-1)                   # (B, H, S, 2dh)
        z = attend(q, k, v, bias, mask, self.dropout if self.training else 0.0)  # (B, H, T, dh), scale 1/sqrt(2dh)
        return self.o_proj(z.transpose(1, 2).reshape(b, t, h * dh))              # (B, T, D)


ATTENTIONS = {"mha": MultiHeadAttention, "mla": DecoupledRopeAttention}


class Block(nn.Module):
    def __init__(self, cfg, attention):
        super().__init__()
        self.keys_from_memory = cfg.arch == "reference"
        self.ln1 = nn.LayerNorm(cfg.d_model)
        self.attn = attention
        self.ln2 = nn.LayerNorm(cfg.d_model)
        self.ffn = nn.Sequential(OrderedDict(
            fc1=nn.Linear(cfg.d_model, cfg.dff),
            act=nn.ReLU() if self.keys_from_memory else nn.GELU(),
            fc2=nn.Linear(cfg.dff, cfg.d_model)))
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x, memory, mask):
        h = self.ln1(x)
        x = x + self.dropout(self.attn(h, memory if self.keys_from_memory else h, mask))
        return x + self.dropout(self.ffn(self.ln2(x)))


class Transformer(nn.Module):
    """tokens (B, T) int64, right-padded with pad_id -> logits (B, classes)."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embedding = nn.Embedding(cfg.vocab, cfg.d_model)
        self.pe = pe_positional.create(cfg)
        attention = ATTENTIONS[cfg.attention]
        self.blocks = nn.ModuleList(
            Block(cfg, attention(cfg, LayerPositionalEncoding(self.pe, l, cfg.pe_active_in(l))))
            for l in range(cfg.layers))
        self.ln_f = nn.LayerNorm(cfg.d_model) if cfg.arch == "standard" else None
        self.classifier = nn.Linear(cfg.d_model, cfg.classes)

    def forward(self, tokens):
        x = self.pe.add_to_embedding(self.embedding(tokens))  # (B, T, D)
        memory = x                                             # K/V source of every reference block
        mask = self.mask(tokens, x.dtype)                      # (B|1, 1, T, T) additive, or None
        for block in self.blocks:
            x = block(x, memory, mask)
        if self.ln_f is not None:
            x = self.ln_f(x)
        return self.classifier(self.pool(tokens, x))           # (B, classes)

    def mask(self, tokens, dtype):
        """-inf where attention is forbidden: padding keys (standard), future keys (causal); None when nothing is."""
        b, t = tokens.shape
        forbidden = tokens.eq(self.cfg.pad_id).view(b, 1, 1, t) if self.cfg.arch == "standard" else None
        if self.cfg.causal:
            future = torch.ones(t, t, dtype=torch.bool, device=tokens.device).triu(1)
            forbidden = future.view(1, 1, t, t) if forbidden is None else forbidden | future
        if forbidden is None:
            return None
        # An all-padding row would softmax to NaN: it sees every key instead (its pooled output is zero anyway).
        forbidden = forbidden & ~forbidden.all(-1, keepdim=True)
        return torch.zeros(forbidden.shape, dtype=dtype, device=tokens.device).masked_fill(forbidden, float("-inf"))

    def pool(self, tokens, x):
        if self.cfg.arch == "reference":
            return x.mean(1)                                   # all positions, padding included
        keep = tokens.ne(self.cfg.pad_id).unsqueeze(-1).to(x.dtype)
        return (x * keep).sum(1) / keep.sum(1).clamp_min(1)


def load_weights_strict(model, state, source="state dict"):
    """Copies `state` into `model`; every key must match both ways and every shape must agree."""
    own = model.state_dict()
    missing, unknown = sorted(set(own) - set(state)), sorted(set(state) - set(own))
    if missing or unknown:
        raise KeyError(f"{source}: keys differ from the model's: missing {missing}, unknown {unknown}")
    for name, t in own.items():
        if tuple(state[name].shape) != tuple(t.shape):
            raise ValueError(f"{source}: {name}: shape {tuple(state[name].shape)} but model has {tuple(t.shape)}")
    model.load_state_dict(state, strict=True)


def read_run_config(run_dir):
    with open(os.path.join(run_dir, "config.json")) as f:
        return json.load(f)


def load_run(run_dir, device="cpu"):
    """The model of a pe-train run (config.json + model.safetensors), in eval mode, and its ModelConfig."""
    from safetensors.torch import load_file
    cfg = ModelConfig.from_json(read_run_config(run_dir)["model"])
    model = Transformer(cfg)
    path = os.path.join(run_dir, "model.safetensors")
    load_weights_strict(model, load_file(path), path)
    return model.to(device).eval(), cfg
