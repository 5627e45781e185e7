"""Checks of the plain-PyTorch pe-train model that need no pe-train run (load_checkpoint.py --self-test).

Each check names the property it pins and returns a list of failure messages (empty = pass):
  - state-dict keys and shapes equal the C# names (written out here from the C# doc comments, not from the modules);
  - a safetensors save/strict reload reproduces outputs bit for bit; an extra or missing key is refused;
  - the fused SDPA call equals the composite softmax(q k^T/sqrt(d) + B + M) v of C# Attention.Attend;
  - per-PE invariants: RoPE/xPos logits depend on i - j only, ALiBi = -m|i - j|, sinusoidal = the closed form,
    T5 buckets = hand-computed values; reference+NoPE is permutation invariant; standard ignores extra padding.
"""
import itertools
import math
import os
import tempfile

import torch
import torch.nn.functional as F

import pe_model
import pe_positional

MULTIPLICATIVE = ("rope", "rope-abs", "xpos")


def small(pe, arch="reference", attention="mha", **kw):
    cfg = pe_model.ModelConfig(vocab=40, classes=16, d_model=32, dff=64, heads=4, layers=2, max_len=24, pe=pe,
                               arch=arch, attention=attention, d_compress=16, **kw)
    return cfg


def cases():
    """Every PE x arch x attention (MLA only with multiplicative PEs), plus the option variants."""
    for pe, arch in itertools.product(pe_positional.REGISTRY, ("reference", "standard")):
        yield small(pe, arch)
        if pe in MULTIPLICATIVE:
            yield small(pe, arch, "mla")
    yield small("rope", "standard", causal=True)
    yield small("alibi", "reference", causal=True)
    yield small("rope", pe_layers=[1], pe_options=dict(small("rope").pe_options, rope_heads=2, rotary_fraction=0.5))
    yield small("xpos", "standard", "mla", pe_options=dict(small("rope").pe_options, rope_base=500.0))


def expected_keys(cfg):
    """name -> shape, from the C# doc comments (Transformer.cs, Block.cs, *Attention.cs, each PE)."""
    d, f, h, c, dh = cfg.d_model, cfg.dff, cfg.heads, cfg.d_compress, cfg.head_dim
    keys = {"embedding.weight": (cfg.vocab, d), "classifier.weight": (cfg.classes, d), "classifier.bias": (cfg.classes,)}
    keys.update({
        "learned": {"pe.embedding.weight": (cfg.max_len, d)},
        "relative": {"pe.tables": (cfg.layers, 2 * cfg.max_len - 1, h)},
        "t5": {"pe.relative_attention_bias.weight": (cfg.pe_options["t5_buckets"], h)},
        "kerple": {"pe.r1": (cfg.layers, h), "pe.r2": (cfg.layers, h)},
    }.get(cfg.pe, {}))
    if cfg.arch == "standard":
        keys.update({"ln_f.weight": (d,), "ln_f.bias": (d,)})
    for l in range(cfg.layers):
        p = f"blocks.{l}."
        for ln in ("ln1", "ln2"):
            keys.update({p + ln + ".weight": (d,), p + ln + ".bias": (d,)})
        keys.update({p + "ffn.fc1.weight": (f, d), p + "ffn.fc1.bias": (f,),
                     p + "ffn.fc2.weight": (d, f), p + "ffn.fc2.bias": (d,)})
        if cfg.attention == "mha":
            for n in ("q", "k", "v", "o"):
                keys.update({f"{p}attn.{n}_proj.weight": (d, d), f"{p}attn.{n}_proj.bias": (d,)})
        else:
            keys.update({p + "attn.kv_down.weight": (c, d), p + "attn.q_down.weight": (c, d),
                         p + "attn.k_up.weight": (h * dh, c), p + "attn.v_up.weight": (h * dh, c),
                         p + "attn.q_up.weight": (h * dh, c), p + "attn.k_rope.weight": (dh, d),
                         p + "attn.q_rope.weight": (dh, c), p + "attn.o_proj.weight": (d, h * dh)})
    return keys


def tokens_for(cfg, device, b=6, t=20, seed=0):
    """Random ids 1..vocab-1, right-padded with 0 to t, as pe-train feeds them."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(1, cfg.vocab, (b, t), generator=g)
    for i, n in enumerate(torch.randint(4, t + 1, (b,), generator=g).tolist()):
        x[i, n:] = cfg.pad_id
    return x.to(device)


def check_roundtrip(cfg, device):
    from safetensors.torch import load_file, save_file
    errors = []
    torch.manual_seed(1)
    model = pe_model.Transformer(cfg).to(device).eval()
    with torch.no_grad():  # LayerNorm starts at 1/0; perturb so a mis-mapped tensor shows in the output
        for prm in model.parameters():
            prm.add_(torch.randn_like(prm) * 0.05)
    got = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    want = expected_keys(cfg)
    if got != want:
        errors.append(f"keys differ from C#: extra {sorted(set(got) - set(want))}, missing {sorted(set(want) - set(got))},"
                      f" shapes {[k for k in got if k in want and got[k] != want[k]]}")
    x = tokens_for(cfg, device)
    with torch.no_grad():
        y = model(x)
    if y.shape != (x.shape[0], cfg.classes) or not torch.isfinite(y).all():
        errors.append(f"output shape {tuple(y.shape)} or non-finite values")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.safetensors")
        save_file({k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}, path)
        torch.manual_seed(2)
        fresh = pe_model.Transformer(cfg)
        pe_model.load_weights_strict(fresh, load_file(path), path)
        fresh = fresh.to(device).eval()
        with torch.no_grad():
            if not torch.equal(fresh(x), y):
                errors.append("reloaded model's logits differ from the saved model's")
        bad = dict(load_file(path), **{"blocks.0.attn.extra": torch.zeros(1)})
        try:
            pe_model.load_weights_strict(pe_model.Transformer(cfg), bad)
            errors.append("an unknown key was accepted")
        except KeyError:
            pass
    return errors


def check_invariants(device):
    errors = []
    g = torch.Generator().manual_seed(3)
    # Fused SDPA == composite path (C# Attention.Attend), with a bias and a padding mask.
    q, k, v = (torch.randn(2, 4, 7, 8, generator=g).to(device) for _ in range(3))
    bias = torch.randn(4, 7, 7, generator=g).to(device)
    mask = torch.zeros(2, 1, 1, 7, device=device)
    mask[0, ..., 5:] = float("-inf")
    composite = F.softmax(q @ k.transpose(-2, -1) / math.sqrt(8) + bias + mask, -1) @ v
    if not torch.allclose(pe_model.attend(q, k, v, bias, mask, 0.0), composite, atol=1e-5):
        errors.append("SDPA path differs from the composite softmax path")
    # RoPE and xPos: q_m . k_n depends on m - n only.
    for pe in ("rope", "xpos"):
        enc = pe_positional.create(small(pe)).to(device)
        qv, kv = torch.randn(1, 1, 1, 8, generator=g).to(device), torch.randn(1, 1, 1, 8, generator=g).to(device)
        t = 24
        qr, kr = enc.rotate_query_key(0, qv.expand(1, 1, t, 8), kv.expand(1, 1, t, 8))
        logits = (qr[0, 0] @ kr[0, 0].T).double()                                  # (T, T)
        for off in (-5, 0, 3):
            diag = torch.diagonal(logits, off)
            if (diag - diag[0]).abs().max() > 1e-4 * max(1.0, diag.abs().max().item()):
                errors.append(f"{pe}: logits on offset {off} are not constant")
    # ALiBi (both slope schedules): bias = -m_h |i - j|.
    for pe, slope in (("alibi", lambda h: math.exp(-h / 4)), ("alibi-std", lambda h: 2 ** (-8 * (h + 1) / 4))):
        b = pe_positional.create(small(pe)).to(device).logit_bias(0, 5, 5).cpu()
        want = torch.tensor([[[-slope(h) * abs(i - j) for j in range(5)] for i in range(5)] for h in range(4)])
        if not torch.allclose(b, want.float(), atol=1e-6):
            errors.append(f"{pe}: bias is not -m_h|i-j|")
    # Sinusoidal: PE[p, 2i] = sin(p w_i), PE[p, 2i+1] = cos(p w_i); rope-abs: sin block then cos block.
    x = torch.zeros(1, 10, 32, device=device)
    table = pe_positional.create(small("sinusoidal")).to(device).add_to_embedding(x)[0].cpu()
    block = pe_positional.create(small("rope-abs")).to(device).add_to_embedding(x)[0].cpu()
    for p, i in ((0, 0), (3, 1), (9, 15)):
        w = 10000 ** (-2 * i / 32)
        if abs(table[p, 2 * i] - math.sin(p * w)) > 1e-6 or abs(table[p, 2 * i + 1] - math.cos(p * w)) > 1e-6:
            errors.append(f"sinusoidal: PE[{p}, {2 * i}:{2 * i + 2}] is not (sin, cos)")
        if abs(block[p, i] - math.sin(p * w)) > 1e-6 or abs(block[p, 16 + i] - math.cos(p * w)) > 1e-6:
            errors.append(f"rope-abs: PE[{p}] is not the [sin | cos] block at {i}")
    # T5 buckets (32 buckets, max distance 128), values worked out by hand from T5's formula.
    t5 = pe_positional.create(small("t5"))
    offs = torch.tensor([0, -1, 1, -7, -8, -12, 12, -127, -128, -1000, 200])
    want = torch.tensor([0, 1, 17, 7, 8, 9, 25, 15, 15, 15, 31])
    if not torch.equal(t5.bucket(offs), want):
        errors.append(f"t5: buckets {t5.bucket(offs).tolist()} != {want.tolist()}")
    errors += check_model_invariants(device)
    return errors


def check_model_invariants(device):
    errors = []
    # Reference + NoPE: no mask, K/V from embeddings, mean over all positions -> permuting tokens changes nothing.
    torch.manual_seed(4)
    model = pe_model.Transformer(small("nope")).to(device).eval()
    x = tokens_for(model.cfg, device)
    with torch.no_grad():
        if not torch.allclose(model(x), model(x[:, torch.randperm(x.shape[1])]), atol=1e-5):
            errors.append("reference+nope is not permutation invariant")
    # Standard: padding keys are masked and pooling skips them -> extra right padding changes nothing.
    for pe in pe_positional.REGISTRY:
        model = pe_model.Transformer(small(pe, "standard")).to(device).eval()
        x = tokens_for(model.cfg, device, t=16)
        padded = torch.cat([x, torch.zeros(x.shape[0], 8, dtype=x.dtype, device=device)], 1)
        with torch.no_grad():
            if not torch.allclose(model(x), model(padded), atol=1e-5):
                errors.append(f"standard+{pe}: extra padding changed the logits")
    return errors


def run_all(device):
    failed = 0
    all_cases = list(cases())
    for cfg in all_cases:
        errors = check_roundtrip(cfg, device)
        name = f"{cfg.pe}/{cfg.arch}/{cfg.attention}" + ("/causal" if cfg.causal else "") + \
               (f"/pe_layers={cfg.pe_layers}" if cfg.pe_layers else "")
        print(f"{'ok  ' if not errors else 'FAIL'} roundtrip {name}" + "".join("\n     " + e for e in errors))
        failed += bool(errors)
    errors = check_invariants(device)
    print(f"{'ok  ' if not errors else 'FAIL'} invariants" + "".join("\n     " + e for e in errors))
    failed += bool(errors)
    print(f"{len(all_cases) + 1 - failed} passed, {failed} failed (device {device})")
    return failed == 0
