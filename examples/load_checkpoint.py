#!/usr/bin/env python3
"""Load a pe-train run into the plain-PyTorch model and check it reproduces pe-train's own logits.

    pe-train predict runs/rope --data d.parquet --rows 256 --logits pred.safetensors -o /dev/null
    python3 examples/load_checkpoint.py runs/rope pred.safetensors [--device cuda] [--tol 1e-5]

prints max |delta logits| (and argmax agreement) and exits 1 when it exceeds --tol, 0 otherwise.

    python3 examples/load_checkpoint.py --self-test [--device cuda]

needs no run: for every PE x arch x attention it builds a small random model, saves its state_dict with safetensors,
checks the keys against the C# naming, reloads strictly and compares outputs, plus per-PE invariants
(examples/pytorch/self_test.py). Exit 0 when all pass.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "pytorch"))

import torch  # noqa: E402

import pe_model  # noqa: E402


def default_device():
    return "cuda" if torch.cuda.is_available() else "cpu"


def exact_fp32():
    """pe-train never enables TF32; neither may we, or fp32 matmuls differ by ~1e-3."""
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False


def compare(run_dir, predict_path, device, tol, batch_size=256):
    """Max |logits_python - logits_pe-train| on the predict file's tokens; returns (max_abs, max_rel, argmax_agree)."""
    from safetensors.torch import load_file
    exact_fp32()
    saved = load_file(predict_path)
    for name in ("tokens", "logits", "targets"):
        if name not in saved:
            raise KeyError(f"{predict_path}: no tensor '{name}' (is it a pe-train predict --logits file?)")
    model, cfg = pe_model.load_run(run_dir, device)
    tokens = saved["tokens"].to(device)
    with torch.no_grad():
        logits = torch.cat([model(tokens[i:i + batch_size]).float() for i in range(0, len(tokens), batch_size)])
    expected = saved["logits"].to(device)
    if logits.shape != expected.shape:
        raise ValueError(f"logits shape {tuple(logits.shape)} but {predict_path} has {tuple(expected.shape)}")
    diff = (logits - expected).abs()
    max_abs = diff.max().item()
    max_rel = (diff / expected.abs().clamp_min(1e-6)).max().item()
    agree = (logits.argmax(-1) == expected.argmax(-1)).float().mean().item()
    print(f"{run_dir}: pe={cfg.pe} arch={cfg.arch} attention={cfg.attention} rows={len(tokens)} device={device}: "
          f"max|dlogits|={max_abs:.3e} max_rel={max_rel:.3e} argmax_agree={agree:.4f} "
          f"(|logits| max {expected.abs().max().item():.3g}) -> {'OK' if max_abs <= tol else 'FAIL'} (tol {tol:g})")
    return max_abs, max_rel, agree


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run", nargs="?", help="pe-train run directory (config.json + model.safetensors)")
    p.add_argument("predict", nargs="?", help="pe-train predict --logits file (tokens, logits, targets)")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:N (default: cuda when available)")
    p.add_argument("--tol", type=float, default=1e-5, help="max allowed |delta logits| (default 1e-5)")
    p.add_argument("--self-test", action="store_true", help="check the Python model alone (no run needed)")
    a = p.parse_args(argv)
    device = a.device or default_device()
    if a.self_test:
        import self_test
        exact_fp32()
        return 0 if self_test.run_all(device) else 1
    if not (a.run and a.predict):
        p.error("RUN and PREDICT are required (or --self-test)")
    max_abs, _, _ = compare(a.run, a.predict, device, a.tol)
    return 0 if max_abs <= a.tol else 1


if __name__ == "__main__":
    sys.exit(main())
