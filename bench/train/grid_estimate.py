#!/usr/bin/env python3
"""Issue #11's grid time from a slice of real runs' logs (pe-train's per-epoch "[train X s, eval Y s, save Z s]", and
the "grid-slice: wall W s" line bench/train/grid-slice.sh appends).

    grid_estimate.py [--epochs 100] [--seeds 3] [--skip 2] LOG...

Each LOG is one run of the first N epochs of a 100-epoch schedule, named run-TASK-PE[-ATTN][-sSEED].log. Runs whose
names differ only in the seed ran at the same time (grid-slice.sh's JOBS), as the grid would run that many seeds.

Per run: an epoch's time is the sum of its three phases; the epochs after the first --skip are averaged (steady). The
run's one-off seconds are its wall time minus steady x N: process start, data loading, NVRTC compiles, graph captures
and first allocations, all measured. A full run is then estimated as one-off + steady x --epochs. Runs that ran at once
finish together: their group takes the longest of their estimates, and the grid needs ceil(--seeds / runs at once) such
groups per (task, PE). The grid is every (task, PE) of the logs: the issue's grid is 6 PEs x 2 tasks x 3 seeds x 100
epochs. Logs without the wall line (older slices) get no one-off seconds, and the table says so.
"""
import argparse
import math
import os
import re
import sys
from collections import OrderedDict, namedtuple

PHASES = re.compile(r"epoch (\d+):.*\[train ([\d.]+) s, eval ([\d.]+) s, save ([\d.]+) s\]")
WALL = re.compile(r"grid-slice: wall ([\d.]+) s")
SEED = re.compile(r"-s\d+$")

# One run's steady epoch (mean train, eval and save seconds of the epochs after --skip), its one-off seconds (None
# without a wall line) and how many epochs were averaged.
Run = namedtuple("Run", "mean one_off averaged")


def steady(run):
    return sum(run.mean)


def read_log(path):
    rows, wall = [], None
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = PHASES.search(line)
            if m:
                rows.append(tuple(float(x) for x in m.groups()[1:]))
            w = WALL.search(line)
            if w:
                wall = float(w.group(1))
    return rows, wall


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--skip", type=int, default=2)
    ap.add_argument("logs", nargs="+")
    a = ap.parse_args()
    groups = OrderedDict()
    for path in a.logs:
        name = os.path.basename(path).removesuffix(".log").removeprefix("run-")
        rows, wall = read_log(path)
        steady_rows = rows[a.skip:]
        if not steady_rows:
            print(f"grid_estimate.py: {path}: no epoch after the first {a.skip} (expected lines '[train X s, eval Y s, save Z s]')",
                  file=sys.stderr)
            return 2
        run = Run([sum(r[k] for r in steady_rows) / len(steady_rows) for k in range(3)], None, len(steady_rows))
        if wall is not None:
            run = run._replace(one_off=max(0.0, wall - steady(run) * len(rows)))
        groups.setdefault(SEED.sub("", name), []).append(run)
    total = 0.0
    print("| run | at once | epochs averaged | train s | eval s | save s | epoch s | one-off s | grid share (min) |")
    print("|---|---|---|---|---|---|---|---|---|")
    missing_wall = False
    for name, runs in groups.items():
        k = len(runs)
        mean = [sum(r.mean[i] for r in runs) / k for i in range(3)]
        known = [r.one_off for r in runs if r.one_off is not None]
        missing_wall |= len(known) < k
        one_off = sum(known) / len(known) if known else 0.0
        group_s = max((r.one_off or 0.0) + steady(r) * a.epochs for r in runs)
        share = group_s * math.ceil(a.seeds / k) / 60
        total += share
        one_off_cell = f"{one_off:.1f}" if known else "-"
        print(f"| {name} | {k} | {runs[0].averaged} | {mean[0]:.3f} | {mean[1]:.3f} | {mean[2]:.3f} | {sum(mean):.3f} | {one_off_cell} | {share:.1f} |")
    print(f"\ngrid: {len(groups)} (task, PE) x {a.seeds} seeds x {a.epochs} epochs = {total:.1f} minutes"
          + (" (some logs had no wall line: their one-off seconds are not counted)" if missing_wall else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
