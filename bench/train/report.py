#!/usr/bin/env python3
"""Markdown table of bench/train/results.csv: pe-train's training throughput beside PyTorch's, with ratios.

    python3 bench/train/report.py bench/train/results.csv

One line per (config, PE): tokens/s of pe-train (fp32) and of PyTorch eager fp32, eager bf16 and torch.compile bf16,
then pe-train / each (above 1 = pe-train faster), and peak memory. Standard library only.
"""
import csv
import math
import sys

PEERS = [("torch-eager", "fp32"), ("torch-eager", "bf16"), ("torch-compile", "bf16")]


def number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def fmt(x, spec):
    return "n/a" if math.isnan(x) else format(x, spec)


def table(rows):
    by = {(r["impl"], r["precision"], r["pe"], r["config"]): r for r in rows}
    keys = []
    for r in rows:
        if (r["config"], r["pe"]) not in keys:
            keys.append((r["config"], r["pe"]))
    head = ["config", "pe", "pe-train fp32 tok/s", "eager fp32", "eager bf16", "compile bf16",
            "÷ eager fp32", "÷ eager bf16", "÷ compile bf16", "peak MiB (eager fp32 / bf16 / compile)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for config, pe in keys:
        ours = number(by.get(("pe-train", "fp32", pe, config), {}).get("tokens_per_s"))
        peers = [number(by.get((i, p, pe, config), {}).get("tokens_per_s")) for i, p in PEERS]
        mems = [number(by.get((i, p, pe, config), {}).get("peak_mem_mb")) for i, p in PEERS]
        ratios = [ours / x if x > 0 else math.nan for x in peers]
        cells = [config, pe, fmt(ours, ",.0f")] + [fmt(x, ",.0f") for x in peers] + \
                [fmt(x, ".2f") for x in ratios] + [" / ".join(fmt(m, ",.0f") for m in mems)]
        lines.append("| " + " | ".join(cells) + " |")
    failures = [r for r in rows if r.get("note", "").startswith("failed")]
    for r in failures:
        lines.append(f"\n- {r['impl']} {r['precision']} {r['pe']} {r['config']}: {r['note']}")
    return "\n".join(lines)


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], newline="") as f:
        rows = list(csv.DictReader(f))
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
