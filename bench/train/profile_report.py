#!/usr/bin/env python3
"""The side-by-side table of bench/train/profile.sh: per case, step time and where the GPU time goes.

    python3 bench/train/profile_report.py OUT     # reads OUT/{pe-train,torch}.csv and OUT/{pe-train,torch}-profile.csv

For each case (impl/precision/pe/config) it prints the step time of the benchmark row, the summed kernel time per
step, the idle time (pe-train's rows; torch.profiler does not report it) and the kernels by time per step. Kernel
names are shortened: C++ mangled names to their function name, Triton names as they are.
"""
import csv
import os
import re
import sys


def rows(path):
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def short(name, width=90):
    # _Z...: keep the identifiers of the mangled name (namespace and function), drop the argument encoding.
    if name.startswith("_Z"):
        idents = re.findall(r"\d+([A-Za-z_][A-Za-z0-9_]*)", name[:200])
        if idents:
            name = "::".join(idents[:4])
    return name if len(name) <= width else name[: width - 1] + "…"


def main(out):
    bench = rows(os.path.join(out, "pe-train.csv")) + rows(os.path.join(out, "torch.csv"))
    step = {f"{r['impl']}/{r['precision']}/{r['pe']}/{r['config']}": float(r["step_ms"]) for r in bench}
    prof = rows(os.path.join(out, "pe-train-profile.csv")) + rows(os.path.join(out, "torch-profile.csv"))
    cases = []
    for r in prof:
        if r["case"] not in cases:
            cases.append(r["case"])
    print("| case | step ms | kernel ms/step | idle ms/step | kernels/step |")
    print("|---|---|---|---|---|")
    for c in cases:
        lines = [r for r in prof if r["case"] == c]
        total = next((r for r in lines if r["kernel"] == "ALL KERNELS"), None)
        idle = next((r for r in lines if r["kernel"].startswith("GPU IDLE")), None)
        print(f"| {c} | {step.get(c, float('nan')):.2f} | {float(total['us_per_step']) / 1000 if total else float('nan'):.2f} | "
              f"{float(idle['us_per_step']) / 1000 if idle else float('nan'):.2f} | {total['calls_per_step'] if total else '?'} |")
    for c in cases:
        print(f"\n### {c}\n")
        print("| kernel | calls/step | us/step | share |")
        print("|---|---|---|---|")
        for r in prof:
            if r["case"] != c or r["kernel"] == "ALL KERNELS" or r["kernel"].startswith("GPU IDLE"):
                continue
            print(f"| {short(r['kernel'])} | {float(r['calls_per_step']):.1f} | {float(r['us_per_step']):.1f} | {float(r['share']):.3f} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
