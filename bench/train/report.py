#!/usr/bin/env python3
"""Markdown tables of bench/train/results.csv: pe-train's training throughput beside PyTorch's, with ratios.

    python3 bench/train/report.py bench/train/results.csv [more.csv ...]

Table 1, one line per (config, PE): tokens/s of pe-train fp32 and bf16 and of PyTorch eager fp32, eager bf16 and
torch.compile bf16, then pe-train / peer (above 1 = pe-train faster) for fp32 / eager fp32, bf16 / eager bf16 and
bf16 / compile bf16, then device memory (MiB taken from the device by the case, both sides measured alike) and
PyTorch's allocator peak. Table 2 (when the CSV has them): pe-train's slow variants (`pe-train/none` = every oracle,
`pe-train/no-X` = every fast path but X), step time and how much the fast paths save against each. Files written
before the device_mem_mb column existed still read (n/a). Standard library only.
"""
import csv
import math
import sys

OURS = [("pe-train", "fp32"), ("pe-train", "bf16")]
PEERS = [("torch-eager", "fp32"), ("torch-eager", "bf16"), ("torch-compile", "bf16")]
RATIOS = [(OURS[0], PEERS[0]), (OURS[1], PEERS[1]), (OURS[1], PEERS[2])]


def number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def fmt(x, spec):
    return "n/a" if math.isnan(x) else format(x, spec)


def cell(by, impl, precision, pe, config, column):
    return number(by.get((impl, precision, pe, config), {}).get(column))


def keys_of(rows):
    keys = []
    for r in rows:
        if (r["config"], r["pe"]) not in keys:
            keys.append((r["config"], r["pe"]))
    return keys


def table(rows):
    by = {(r["impl"], r["precision"], r["pe"], r["config"]): r for r in rows}
    head = ["config", "pe", "pe-train fp32 tok/s", "pe-train bf16", "eager fp32", "eager bf16", "compile bf16",
            "fp32 ÷ eager fp32", "bf16 ÷ eager bf16", "bf16 ÷ compile bf16",
            "device MiB (ours fp32 / bf16; eager fp32 / bf16; compile)", "allocator peak MiB (eager fp32 / bf16 / compile)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for config, pe in keys_of(rows):
        speed = {k: cell(by, *k, pe, config, "tokens_per_s") for k in OURS + PEERS}
        ratios = [speed[a] / speed[b] if speed[b] > 0 else math.nan for a, b in RATIOS]
        device = [cell(by, *k, pe, config, "device_mem_mb") for k in OURS + PEERS]
        peak = [cell(by, *k, pe, config, "peak_mem_mb") for k in PEERS]
        cells = [config, pe] + [fmt(speed[k], ",.0f") for k in OURS + PEERS] + [fmt(x, ".2f") for x in ratios] + \
                [" / ".join(fmt(m, ",.0f") for m in device[:2]) + "; " + " / ".join(fmt(m, ",.0f") for m in device[2:]),
                 " / ".join(fmt(m, ",.0f") for m in peak)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def variants_table(rows):
    """pe-train's slow variants against its fast path, per (config, PE, precision)."""
    slow = [r for r in rows if r["impl"].startswith("pe-train/")]
    if not slow:
        return ""
    by = {(r["impl"], r["precision"], r["pe"], r["config"]): r for r in rows}
    head = ["config", "pe", "precision", "variant", "step ms", "fast (all) step ms", "fast paths save"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in slow:
        fast = cell(by, "pe-train", r["precision"], r["pe"], r["config"], "step_ms")
        ms = number(r["step_ms"])
        save = (ms - fast) / ms if ms > 0 else math.nan
        lines.append("| " + " | ".join([r["config"], r["pe"], r["precision"], r["impl"].split("/", 1)[1],
                                        fmt(ms, ".2f"), fmt(fast, ".2f"), fmt(100 * save, ".0f") + "%"]) + " |")
    return "\n".join(lines)


def failures(rows):
    return "\n".join(f"- {r['impl']} {r['precision']} {r['pe']} {r['config']}: {r['note']}"
                     for r in rows if r.get("note", "").startswith("failed"))


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    rows = []
    for path in argv[1:]:
        with open(path, newline="") as f:
            rows.extend(csv.DictReader(f))
    parts = [table(rows), variants_table(rows), failures(rows)]
    print("\n\n".join(p for p in parts if p))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
