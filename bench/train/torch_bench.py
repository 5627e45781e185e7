#!/usr/bin/env python3
"""Training throughput of pe-train's model in PyTorch: the peer of `pe-train bench` (bench/train/run.sh runs both).

The model is examples/pytorch/pe_model.py, the same architecture, PE code and SDPA call as pe-train. For every case
(model size x PE x implementation/precision) it times full training steps on one random batch kept on the GPU:
forward, cross-entropy, backward, fused AdamW (lr 1e-4, betas (0.98, 0.9), weight decay 1e-5, the paper's).
Each step is bracketed by CUDA events (no host sync inside the loop); step_ms is the median over the timed steps,
the mean (wall clock between two synchronizes) goes into the note. Peak memory is torch.cuda.max_memory_allocated
since the case began (weights + AdamW state + activations); device_mem_mb is what pe-train bench can measure too: device
memory in use (torch.cuda.mem_get_info) after the timed steps minus before the model was built, after empty_cache, so
allocator cache, cuBLAS workspaces and kernels are in. Rows go to stdout as CSV (schema `benchmark`).

    python3 bench/train/torch_bench.py > torch.csv              # every case
    python3 bench/train/torch_bench.py --quick                   # 2 PEs, paper config, few steps
    python3 bench/train/torch_bench.py --pe-train-args          # the same cases as pe-train bench options (run.sh)
"""
import argparse
import csv
import gc
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "pytorch"))

# torch and the model are imported in main(), after --pe-train-args, so run.sh can list the cases without torch.
torch = F = pe_model = None

# Model sizes. "paper" is the reference code's (reference-code.md section 3.1/9). The large one keeps the paper's
# ratios (d_ff = 2 d_model, d_compress = d_model / 2) at d_model 1024, 16 heads (head_dim 64), sequence 512.
CONFIGS = {
    "paper": dict(d_model=256, dff=512, heads=16, layers=6, max_len=128, d_compress=128, batch=512, seq=128),
    "d1024-t512": dict(d_model=1024, dff=2048, heads=16, layers=6, max_len=512, d_compress=512, batch=64, seq=512),
    # Not a throughput benchmark: the paper's model at batch 8, where the GPU work per step is tiny, so the step time is
    # mostly what the host needs to issue one step (framework overhead, kernel launches).
    "paper-b8": dict(d_model=256, dff=512, heads=16, layers=6, max_len=128, d_compress=128, batch=8, seq=128),
    # Not a benchmark: a seconds-long smoke test of the scripts on CPU (DEVICE=cpu; never in the default --configs).
    "tiny": dict(d_model=32, dff=64, heads=4, layers=2, max_len=16, d_compress=16, batch=8, seq=16),
}
DEFAULT_CONFIGS = ["paper", "d1024-t512"]
PES = [("nope", "mha"), ("rope", "mha"), ("alibi", "mha"), ("relative", "mha"), ("rope", "mla")]
MODES = [("torch-eager", "fp32"), ("torch-eager", "bf16"), ("torch-compile", "bf16")]
VOCAB = 574  # = classes, as the reference
OPTIM = dict(lr=1e-4, betas=(0.98, 0.9), weight_decay=1e-5, eps=1e-8)
HEADER = ["impl", "precision", "pe", "config", "tokens_per_s", "step_ms", "peak_mem_mb", "device_mem_mb", "note"]


def pe_label(pe, attention):
    return pe + ("/mla" if attention == "mla" else "")


def model_config(size, pe, attention):
    c = CONFIGS[size]
    return pe_model.ModelConfig(vocab=VOCAB, classes=VOCAB, d_model=c["d_model"], dff=c["dff"], heads=c["heads"],
                                layers=c["layers"], max_len=c["max_len"], d_compress=c["d_compress"], pe=pe,
                                attention=attention, arch="reference")


def pe_train_args(size, pe, attention):
    """The pe-train bench options for the same case (run.sh feeds them to pe-train)."""
    c = CONFIGS[size]
    return (f"--pe {pe} --attention {attention} --arch reference --vocab {VOCAB} --classes {VOCAB} "
            f"--d-model {c['d_model']} --d-ff {c['dff']} --heads {c['heads']} --layers {c['layers']} "
            f"--max-len {c['max_len']} --d-compress {c['d_compress']} --batch-size {c['batch']} --seq-len {c['seq']} "
            f"--lr {OPTIM['lr']} --beta1 {OPTIM['betas'][0]} --beta2 {OPTIM['betas'][1]} "
            f"--weight-decay {OPTIM['weight_decay']} --config-label {size}")


def bench_case(size, pe, attention, impl, precision, warmup, steps, device, profile=None, min_warmup_s=1.0):
    """One row: times `steps` training steps after `warmup` untimed ones and at least `min_warmup_s` seconds of them."""
    c = CONFIGS[size]
    gc.collect()
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats(device)
    free, total = torch.cuda.mem_get_info(device)
    used_before = total - free
    torch.manual_seed(0)
    model = pe_model.Transformer(model_config(size, pe, attention)).to(device).train()
    optimizer = torch.optim.AdamW(model.parameters(), fused=True, **OPTIM)
    forward = torch.compile(model) if impl == "torch-compile" else model
    g = torch.Generator(device=device).manual_seed(0)
    x = torch.randint(1, VOCAB, (c["batch"], c["seq"]), device=device, generator=g)   # (B, T), no padding
    y = torch.randint(0, VOCAB, (c["batch"],), device=device, generator=g)            # (B)

    def step():
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=precision == "bf16"):
            loss = F.cross_entropy(forward(x).float(), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    t0 = time.perf_counter()
    warmed = 0
    while warmed < warmup or time.perf_counter() - t0 < min_warmup_s:  # includes torch.compile's compilation
        step()
        warmed += 1
        if warmed > warmup:
            torch.cuda.synchronize(device)  # past the fixed count, time what the device did (as pe-train bench)
    torch.cuda.synchronize(device)
    warm_s = time.perf_counter() - t0
    starts = [torch.cuda.Event(enable_timing=True) for _ in range(steps)]
    ends = [torch.cuda.Event(enable_timing=True) for _ in range(steps)]
    t0 = time.perf_counter()
    for i in range(steps):
        starts[i].record()
        step()
        ends[i].record()
    torch.cuda.synchronize(device)
    mean_ms = (time.perf_counter() - t0) * 1000 / steps
    median_ms = statistics.median(s.elapsed_time(e) for s, e in zip(starts, ends))
    peak_mb = torch.cuda.max_memory_allocated(device) / 2**20
    if profile is not None:
        try:
            profile_steps(step, f"{impl}/{precision}/{pe_label(pe, attention)}/{size}", profile)
        except Exception as e:  # the timing above stands without the profile
            print(f"torch_bench.py: profile failed: {type(e).__name__}: {e}", file=sys.stderr)
    free, total = torch.cuda.mem_get_info(device)
    device_mb = (total - free - used_before) / 2**20
    note = (f"median of {steps} after {warmed} warm-up ({warm_s:.1f} s); mean {mean_ms:.2f} ms; fused AdamW; "
            f"peak reserved {torch.cuda.max_memory_reserved(device) / 2**20:.0f} MiB")
    return [impl, precision, pe_label(pe, attention), size, c["batch"] * c["seq"] / (median_ms / 1000),
            median_ms, peak_mb, device_mb, note]


PROFILE_HEADER = ["case", "kernel", "calls_per_step", "us_per_step", "share"]


def profile_steps(step, case, writer, steps=3, top=60):
    """Where one step's GPU time goes: torch.profiler over `steps` steps, the `top` kernels by device time."""
    from torch.profiler import profile, ProfilerActivity
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(steps):
            step()
        torch.cuda.synchronize()
    rows = [e for e in prof.key_averages() if e.device_type is not None and "cuda" in str(e.device_type).lower()
            and e.self_device_time_total > 0]
    total = sum(e.self_device_time_total for e in rows)
    rows.sort(key=lambda e: -e.self_device_time_total)
    writer.writerow([case, "ALL KERNELS", f"{sum(e.count for e in rows) / steps:.1f}", f"{total / steps:.1f}", "1.000"])
    for e in rows[:top]:
        writer.writerow([case, e.key[:160], f"{e.count / steps:.1f}", f"{e.self_device_time_total / steps:.1f}",
                         f"{e.self_device_time_total / total:.3f}"])


def cases(a):
    for size in a.configs:
        for pe, attention in a.pes:
            for impl, precision in a.modes:
                yield size, pe, attention, impl, precision


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="nope and rope, paper config, 2 warm-up + 5 timed steps")
    p.add_argument("--configs", default=",".join(DEFAULT_CONFIGS), help="comma-separated sizes: " + ", ".join(CONFIGS))
    p.add_argument("--pes", default=",".join(pe_label(*x) for x in PES), help="comma-separated, rope/mla = MLA")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--min-warmup-s", type=float, default=1.0,
                   help="keep warming up until this many seconds have passed too (as pe-train bench --min-warmup-s)")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--device", default="cuda")
    p.add_argument("--no-header", action="store_true", help="rows only (to append to a file)")
    p.add_argument("--pe-train-args", action="store_true", help="print 'pe-train bench' options, one case a line")
    p.add_argument("--modes", default=",".join(f"{i}:{q}" for i, q in MODES),
                   help="comma-separated impl:precision, of " + ", ".join(f"{i}:{q}" for i, q in MODES))
    p.add_argument("--profile", metavar="CSV", help="also write each case's top GPU kernels per step to CSV (torch.profiler; compiled cases show their Triton kernels)")
    a = p.parse_args(argv)
    if a.quick:
        a.configs, a.pes, a.warmup, a.steps = "paper", "nope,rope", 2, 5
    a.configs = a.configs.split(",")
    a.pes = [(s.split("/")[0], "mla" if s.endswith("/mla") else "mha") for s in a.pes.split(",")]
    unknown = [s for s in a.configs if s not in CONFIGS]
    if unknown:
        p.error(f"unknown config {unknown}; one of {list(CONFIGS)}")
    a.modes = [tuple(m.split(":")) for m in a.modes.split(",")]
    if any(m not in MODES for m in a.modes):
        p.error(f"unknown --modes {a.modes}; of {MODES}")
    return a


def main(argv=None):
    a = parse_args(argv)
    if a.pe_train_args:
        for size in a.configs:
            for pe, attention in a.pes:
                print(pe_train_args(size, pe, attention) + f" --warmup {a.warmup} --min-warmup-s {a.min_warmup_s} --steps {a.steps}")
        return 0
    global torch, F, pe_model
    import torch
    import torch.nn.functional as F
    import pe_model
    if not torch.cuda.is_available():
        print("torch_bench.py: no CUDA device", file=sys.stderr)
        return 1
    # fp32 means fp32 (pe-train never enables TF32); bf16 autocast is unaffected by this flag.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    out = csv.writer(sys.stdout, lineterminator="\n")
    if not a.no_header:
        out.writerow(HEADER)
    failed = 0
    profile_file = open(a.profile, "w", newline="") if a.profile else None
    profile = csv.writer(profile_file, lineterminator="\n") if profile_file else None
    if profile:
        profile.writerow(PROFILE_HEADER)
    for size, pe, attention, impl, precision in cases(a):
        try:
            row = bench_case(size, pe, attention, impl, precision, a.warmup, a.steps, a.device,
                             profile, a.min_warmup_s)
        except Exception as e:  # a compile failure or OOM is a result to report, not a reason to stop
            failed += 1
            msg = (str(e).strip().splitlines() or [""])[0][:200].replace(",", ";")
            row = [impl, precision, pe_label(pe, attention), size, float("nan"), float("nan"), float("nan"),
                   float("nan"), f"failed: {type(e).__name__}: {msg}"]
        out.writerow([f"{v:.6g}" if isinstance(v, float) else v for v in row])
        sys.stdout.flush()
        print(f"torch_bench.py: {' '.join(map(str, row[:6]))}", file=sys.stderr)
        gc.collect()
        torch._dynamo.reset()
        if profile_file:
            profile_file.flush()
    return 0 if failed == 0 else 3


if __name__ == "__main__":
    sys.exit(main())
