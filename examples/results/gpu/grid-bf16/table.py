#!/usr/bin/python3
"""Final test accuracy per PE (mean ± sample std over seeds) from the bf16 grid's metrics files.

Reads NAME.metrics.csv (columns step,epoch,split,loss,accuracy,lr,tokens_per_s; NAME = TASK-PE-ATTN-sSEED) from this
folder and, for the distance task, the bf16 runs of ../../dynamics/gpu/ (same settings: --precision bf16, first 10 of
100 epochs). Per run: the last row with split == test. Runs whose last test row is not at EPOCHS are listed as cut.
    /usr/bin/python3 examples/results/gpu/grid-bf16/table.py   (prints Markdown)
"""
import glob
import os
import re
import statistics

import pandas as pd

EPOCHS = 10
here = os.path.dirname(os.path.abspath(__file__))
sources = sorted(glob.glob(os.path.join(here, "*.metrics.csv")))
sources += sorted(glob.glob(os.path.join(here, "..", "..", "dynamics", "gpu", "distance-*.metrics.csv")))

ORDER = ["sinusoidal", "rope-abs", "rope", "rope/mla", "learned", "alibi", "nope", "relative"]
# The paper's final test accuracy (shared/paper/paper.md §6; ≈ = read off a figure).
PAPER = {
    "distance": {"sinusoidal": "0.77", "rope": "0.93 (table 92.64)", "rope/mla": "0.88 (table 88.34)",
                 "learned": "0.69", "alibi": "0.27", "nope": "≈0.035 (table 3.51)", "relative": "≈0.04",
                 "rope-abs": "– (Fig. 5: rises before RoPE)"},
    "count": {"nope": "≈0.62 (table 77.69)", "relative": "≈0.62", "rope": "≈0.55 (table 69.43)",
              "sinusoidal": "≈0.48", "learned": "≈0.28", "alibi": "≈0.23", "rope/mla": "0.974 (table 97.41)",
              "rope-abs": "≈0.74 at epoch 100 (Fig. 5)"},
}
PAPER_EPOCH = {"distance": "paper, epoch 100", "count": "paper, epoch 150 (Fig. 3) / table"}

runs, cut = {}, []
for path in sources:
    m = re.match(r"(distance|count)-(.+)-(mha|mla)-s(\d+)\.metrics\.csv$", os.path.basename(path))
    if not m:
        continue
    task, pe, attn, seed = m.group(1), m.group(2), m.group(3), int(m.group(4))
    spec = pe if attn == "mha" else f"{pe}/{attn}"
    test = pd.read_csv(path)
    test = test[test["split"] == "test"]
    last = test.iloc[-1]
    where = os.path.relpath(path, here)
    if int(last["epoch"]) != EPOCHS:
        cut.append(f"{task} {spec} s{seed}: last test row at epoch {int(last['epoch'])} ({where})")
        continue
    key = (task, spec)
    if seed in runs.setdefault(key, {}):
        raise SystemExit(f"duplicate run {task} {spec} s{seed}: {where}")
    runs[key][seed] = (float(last["accuracy"]), where)

for task in ["distance", "count"]:
    print(f"### {task}: final test accuracy at epoch {EPOCHS}\n")
    print(f"| PE | mean ± std | n | per seed | {PAPER_EPOCH[task]} |")
    print("|---|---|---|---|---|")
    for spec in ORDER:
        seeds = runs.get((task, spec), {})
        accs = [seeds[s][0] for s in sorted(seeds)]
        if not accs:
            mean = "–"
        elif len(accs) == 1:
            mean = f"{accs[0]:.3f}"
        else:
            mean = f"{statistics.mean(accs):.3f} ± {statistics.stdev(accs):.3f}"
        per = ", ".join(f"s{s} {seeds[s][0]:.3f}" + ("†" if "dynamics" in seeds[s][1] else "")
                        for s in sorted(seeds))
        print(f"| `{spec}` | {mean} | {len(accs)} | {per or '–'} | {PAPER[task].get(spec, '–')} |")
    print()
print("† from `examples/results/dynamics/gpu/` (the second GPU session, same settings).")
if cut:
    print("\nNot counted (cut before epoch %d):\n" % EPOCHS)
    for c in cut:
        print(f"* {c}")
