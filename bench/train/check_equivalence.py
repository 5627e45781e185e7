#!/usr/bin/env python3
"""Do pe-train and the plain-PyTorch model (examples/pytorch/pe_model.py) agree on shared weights?

    check_equivalence.py RUN PREDICT.safetensors [--device D] [--tol 1e-5]
        one run: examples/load_checkpoint.py's check (exit 1 when max |delta logits| > tol)
    check_equivalence.py --all PE_TRAIN [--device D] [--workdir DIR] [--quick]
        every PE x arch x attention: trains a tiny pe-train run (2 epochs) on a small synthetic task, runs
        `pe-train predict --logits`, and checks it; prints one line per case and "N passed, N failed".
        --quick: the 8 cases of the GPU check (the benchmarked PEs in the reference architecture, MLA, partial RoPE,
        standard RoPE causal and ALiBi), about a quarter of the time

pe-train and PyTorch should use the same libtorch (pe-train finds PyTorch's through python3), so on one device the
logits should agree to float32 rounding.
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples"))



def checker():
    """examples/load_checkpoint.py, imported late so the pe-train half (--stage prepare) runs without torch."""
    import load_checkpoint
    return load_checkpoint

PES = ["nope", "sinusoidal", "learned", "rope", "rope-abs", "xpos", "alibi", "alibi-std", "relative", "t5", "kerple"]
MULTIPLICATIVE = {"rope", "rope-abs", "xpos"}
SMALL = ("--vocab 40 --classes 16 --d-model 32 --d-ff 64 --heads 4 --layers 2 --max-len 24 --d-compress 16 "
         "--batch-size 32 --lr 1e-3 --epochs 2 -q").split()


def write_distance_csv(path, train=300, test=64, seed=1):
    """Two triggers (1, 2) with 1..12 fillers (3..39) between; target = gap + 1 (tests' TinyData, in Python)."""
    rng = random.Random(seed)
    with open(path, "w") as f:
        f.write("split,tokens,target\n")
        for split, n in (("train", train), ("test", test)):
            for _ in range(n):
                gap = rng.randint(1, 12)
                fill = lambda k: [rng.randint(3, 39) for _ in range(k)]  # noqa: E731
                seq = fill(rng.randint(1, 3)) + [1] + fill(gap) + [2] + fill(rng.randint(1, 3))
                f.write(f"{split},{' '.join(map(str, seq))},{gap + 1}\n")


def all_cases():
    for pe in PES:
        for arch in ("reference", "standard"):
            yield pe, arch, "mha", []
            if pe in MULTIPLICATIVE:
                yield pe, arch, "mla", []
    yield "rope", "standard", "mha", ["--causal"]
    yield "rope", "reference", "mha", ["--pe-layers", "1", "--rope-heads", "2", "--rotary-fraction", "0.5"]


QUICK = {("nope", "reference", "mha"), ("rope", "reference", "mha"), ("alibi", "reference", "mha"),
         ("relative", "reference", "mha"), ("rope", "reference", "mla"), ("alibi", "standard", "mha")}


def quick_cases():
    for case in all_cases():
        pe, arch, attention, extra = case
        if extra or (pe, arch, attention) in QUICK:
            yield case


def run_all(pe_train, device, tol, workdir, stage="all", quick=False):
    """stage: all; prepare (pe-train runs and predict files only); check (reuse those in workdir)."""
    data = os.path.join(workdir, "d.csv")
    if stage != "check":
        write_distance_csv(data)
    passed = failed = 0
    for i, (pe, arch, attention, extra) in enumerate(quick_cases() if quick else all_cases()):
        run = os.path.join(workdir, f"run{i}")
        pred = os.path.join(workdir, f"pred{i}.safetensors")
        name = f"{pe}/{arch}/{attention}{' ' + ' '.join(extra) if extra else ''}"
        train = [pe_train, "--data", data, "--pe", pe, "--arch", arch, "--attention", attention, "--device", device,
                 "--out", run, *SMALL, *extra]
        predict = [pe_train, "predict", run, "--data", data, "--rows", "64", "--logits", pred, "--device", device,
                   "-o", os.path.join(workdir, f"pred{i}.csv"), "-q"]
        try:
            for cmd in (train, predict) if stage != "check" else ():
                p = subprocess.run(cmd, capture_output=True, text=True)
                if p.returncode != 0:
                    raise RuntimeError(f"{os.path.basename(cmd[0])} {cmd[1]} exit {p.returncode}: {p.stderr.strip()}")
            if stage == "prepare":
                print(f"{name}: prepared {pred}")
                ok = True
            else:
                max_abs, _, _ = checker().compare(run, pred, device, tol)
                ok = max_abs <= tol
        except Exception as e:  # one broken case must not hide the others
            print(f"{name}: ERROR {type(e).__name__}: {e}")
            ok = False
        passed, failed = passed + ok, failed + (not ok)
    print(f"{passed} passed, {failed} failed")
    return failed == 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run", nargs="?")
    p.add_argument("predict", nargs="?")
    p.add_argument("--all", metavar="PE_TRAIN", help="path of the pe-train executable: check every PE")
    p.add_argument("--device", default=None)
    p.add_argument("--tol", type=float, default=1e-5)
    p.add_argument("--workdir", help="keep the tiny runs here (default: a temporary directory, removed)")
    p.add_argument("--quick", action="store_true", help="with --all: 8 cases instead of 30 (see above)")
    p.add_argument("--stage", choices=("all", "prepare", "check"), default="all",
                   help="with --all: prepare = pe-train runs + predict files only (no torch needed); "
                        "check = compare those already in --workdir")
    a = p.parse_args(argv)
    device = a.device or ("cpu" if a.stage == "prepare" else checker().default_device())
    if a.stage != "prepare":
        checker().exact_fp32()
    if a.all:
        workdir = a.workdir or tempfile.mkdtemp(prefix="pe-equiv-")
        os.makedirs(workdir, exist_ok=True)
        try:
            return 0 if run_all(a.all, device, a.tol, workdir, a.stage, a.quick) else 1
        finally:
            if not a.workdir:
                shutil.rmtree(workdir, ignore_errors=True)
    if not (a.run and a.predict):
        p.error("RUN and PREDICT are required (or --all PE_TRAIN)")
    max_abs, _, _ = checker().compare(a.run, a.predict, device, a.tol)
    return 0 if max_abs <= a.tol else 1


if __name__ == "__main__":
    sys.exit(main())
