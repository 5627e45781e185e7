#!/usr/bin/env python3
"""Issue #11's grid time from a slice of real runs' logs (pe-train's per-epoch "[train X s, eval Y s, save Z s]").

    grid_estimate.py [--epochs 100] [--seeds 3] [--skip 1] LOG...

Each LOG is one run, named run-TASK-PE.log (as bench/train/grid-slice.sh writes them). An epoch's time is the sum of
its three phases; the first --skip epochs (NVRTC compiles, graph capture, first allocations) are left out and the rest
averaged. The grid is every (task, PE) of the logs times --seeds seeds times --epochs epochs: the issue's grid is 6 PEs
x 2 tasks x 3 seeds x 100 epochs. Prints one row per run and the total in minutes.
"""
import argparse
import os
import re
import sys

PHASES = re.compile(r"epoch (\d+):.*\[train ([\d.]+) s, eval ([\d.]+) s, save ([\d.]+) s\]")


def epochs_of(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = PHASES.search(line)
            if m:
                rows.append(tuple(float(x) for x in m.groups()[1:]))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--skip", type=int, default=1)
    ap.add_argument("logs", nargs="+")
    a = ap.parse_args()
    total = 0.0
    print("| run | epochs averaged | train s | eval s | save s | epoch s | grid share (min) |")
    print("|---|---|---|---|---|---|---|")
    for path in a.logs:
        rows = epochs_of(path)[a.skip:]
        if not rows:
            print(f"grid_estimate.py: {path}: no epoch after the first {a.skip} (expected lines '[train X s, eval Y s, save Z s]')",
                  file=sys.stderr)
            return 2
        mean = [sum(r[k] for r in rows) / len(rows) for k in range(3)]
        epoch = sum(mean)
        share = epoch * a.epochs * a.seeds / 60
        total += share
        name = os.path.basename(path).removesuffix(".log").removeprefix("run-")
        print(f"| {name} | {len(rows)} | {mean[0]:.3f} | {mean[1]:.3f} | {mean[2]:.3f} | {epoch:.3f} | {share:.1f} |")
    print(f"\ngrid: {len(a.logs)} runs x {a.seeds} seeds x {a.epochs} epochs = {total:.1f} minutes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
