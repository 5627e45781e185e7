#!/usr/bin/python3
"""Pairs SpectrumBench's and peer.py's lines and inserts rows into BENCHMARKS.md under '## pe-spectrum'.

ratio = peer seconds / our seconds (> 1: ours is faster). Each eigenvalue pair is also checked for agreement.
Usage: report.py OURS.tsv PEER.tsv BENCHMARKS.md DATE MACHINE COMMIT
"""
import math
import os
import sys

HEADER = "# Benchmarks\n\nEach tool's bench/<tool>/run.sh appends rows to its own section. ratio = peer time / our time (> 1: ours faster).\n"
SECTION = "## pe-spectrum"
TABLE = ("\nbench/spectrum/run.sh: SpectrumBench (Release, PeTools.Core) vs Debian's numpy/scipy in one run. "
         "Matrices: a_ij = sin(1e-3 (i+1)(j+1)) for eigvalsh; ALiBi B = -|i-j| for Toeplitz extremes. "
         "Times are best of k (k = 5 for short cases, 3 at n = 2^20, 1 for the seconds-long dense runs).\n\n"
         "| date | machine | commit | case | ours (s) | peer (s) | ratio | note |\n|---|---|---|---|---|---|---|---|\n")


def read(path):
    rows = {}
    with open(path) as f:
        for line in f:
            name, seconds, lo, hi, note = line.rstrip("\n").split("\t")
            rows[name] = (float(seconds), float(lo), float(hi), note)
    return rows


def agreement(a, b):
    scale = max(abs(a[1]), abs(a[2]), abs(b[1]), abs(b[2]))
    return max(abs(a[1] - b[1]), abs(a[2] - b[2])) / scale


def pairs(ours, peer):
    for n in (512, 1024, 2048):
        k = f"eigvalsh-{n}"
        if k in ours and k in peer:
            yield (f"eigvalsh n={n} (MathNet dense vs numpy)", ours[k][0], peer[k][0],
                   f"{ours[k][3]}; peer {peer[k][3]}; extremes agree to {agreement(ours[k], peer[k]):.1e}")
        h = f"eigvalsh-householder-{n}"
        if h in ours and k in peer:
            yield (f"eigvalsh n={n} (PeTools Householder vs numpy)", ours[h][0], peer[k][0],
                   f"{ours[h][3]}; extremes agree to {agreement(ours[h], peer[k]):.1e}")
    for n in (2048, 16384, 1 << 20):
        k = f"toeplitz-structured-{n}"
        if k in ours and k in peer:
            yield (f"Toeplitz extremes n={n} (structured vs scipy eigsh+FFT)", ours[k][0], peer[k][0],
                   f"{ours[k][3]}; extremes agree to {agreement(ours[k], peer[k]):.1e}")
    s, k = "toeplitz-structured-16384", "toeplitz-dense-16384-extrapolated"
    if s in ours and k in ours:
        yield ("Toeplitz extremes n=16384 (ours structured vs ours dense, extrapolated)", ours[s][0], ours[k][0], ours[k][3])
    h = "toeplitz-householder-16384-extrapolated"
    if s in ours and h in ours:
        yield ("Toeplitz extremes n=16384 (ours structured vs ours Householder dense, extrapolated)", ours[s][0], ours[h][0], ours[h][3])
    if s in ours and k in peer:
        yield ("Toeplitz extremes n=16384 (ours structured vs numpy dense, extrapolated)", ours[s][0], peer[k][0], peer[k][3])
    for name, (t, _, _, note) in ours.items():
        if name.startswith(("toeplitz-dense-", "toeplitz-householder-")) and "extrapolated" not in name:
            yield (f"{name} (ours, measured)", t, math.nan, note)
    for name, (t, _, _, note) in peer.items():
        if name.startswith("toeplitz-dense-") and "extrapolated" not in name:
            yield (f"{name} (peer, measured)", math.nan, t, note)


def fmt(x):
    return "—" if math.isnan(x) else f"{x:.4g}"


def main():
    ours, peer = read(sys.argv[1]), read(sys.argv[2])
    path, date, machine, commit = sys.argv[3:7]
    rows = []
    for case, t_ours, t_peer, note in pairs(ours, peer):
        ratio = t_peer / t_ours if not (math.isnan(t_ours) or math.isnan(t_peer)) else math.nan
        rows.append(f"| {date} | {machine} | {commit} | {case} | {fmt(t_ours)} | {fmt(t_peer)} | {fmt(ratio)} | {note} |\n")
        print(f"{case}: ours {fmt(t_ours)} s, peer {fmt(t_peer)} s, ratio {fmt(ratio)}", file=sys.stderr)
    text = open(path).read() if os.path.exists(path) else HEADER
    if SECTION not in text:
        text = text.rstrip("\n") + "\n\n" + SECTION + "\n" + TABLE
    start = text.index(SECTION)
    nxt = text.find("\n## ", start + len(SECTION))
    end = len(text) if nxt < 0 else nxt + 1
    section = text[start:end].rstrip("\n") + "\n" + "".join(rows)
    text = text[:start] + section + ("\n" + text[end:] if end < len(text) else "")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)  # never half-written, like every pe-tools output


if __name__ == "__main__":
    main()
