#!/usr/bin/python3
"""numpy peer of `pe-gen-task distance` (clean mode) for bench/gen-task/run.sh.

Same task, same sizes, same work: trigger pair, per-row M ~ U{1..70}, L, R ~ U{1..25}, fillers drawn without
replacement inside each segment from ids 1..vocab-1 minus the triggers, rows cut at 120, target M+1, exact
duplicate rows dropped, first 70% train / last 30% test. It is vectorised over blocks of rows (no Python loop
per row or per token):

* sampling without replacement: draw every slot with replacement, then redraw the later copy of any repeated
  value (found with a stable argsort per row) until none is left; the procedure commutes with relabelling the
  values, so every ordered sample of distinct values is equally likely, as with Python's random.sample;
* rows are written straight into one flat token array by masked scatters, one per segment;
* duplicates are found with a 64-bit row fingerprint (np.add.reduceat) and np.unique.

pyarrow is not installed here (and PyPI is unreachable), so the peer writes an uncompressed .npz of .npy arrays
(flat tokens, row offsets, targets, train row count) instead of Parquet. That is less work than our Snappy
Parquet, which favours the peer.

Usage: distance_numpy.py ROWS OUT.npz [REPEATS]
       distance_numpy.py --check OUT.npz   (re-derives every target from the tokens; exit 1 on any bad row)
"""
import sys
import time

import numpy as np

SEQ_LEN, MAX_BETWEEN, MAX_SIDE, VOCAB = 120, 70, 25, 574
BLOCK = 65536
WEIGHTS = np.random.default_rng(12345).integers(0, 2**63, SEQ_LEN, dtype=np.uint64) * np.uint64(2) + np.uint64(1)


def sample_without_replacement(rng, counts, k, pool):
    """Indices into a pool of `pool` ids: row i gets counts[i] distinct values in its first counts[i] slots."""
    rows = len(counts)
    # int16 on purpose: numpy's stable argsort is a radix sort for 16-bit keys, 3x faster than for int64.
    x = rng.integers(0, pool, size=(rows, k), dtype=np.int16)
    cols = np.arange(k)
    unused = cols[None, :] >= counts[:, None]
    x[unused] = (pool + cols[None, :].repeat(rows, 0))[unused].astype(np.int16)  # unique sentinels never collide
    todo = np.arange(rows)
    while todo.size:
        sub = x[todo]
        order = np.argsort(sub, axis=1, kind="stable")
        s = np.take_along_axis(sub, order, 1)
        dup = s[:, 1:] == s[:, :-1]
        any_dup = dup.any(axis=1)
        if not any_dup.any():
            break
        r, c = np.nonzero(dup)
        pos = order[r, c + 1]  # the later copy in draw order
        x[todo[r], pos] = rng.integers(0, pool, size=r.size, dtype=np.int16)
        todo = todo[any_dup]
    return x


def scatter(flat, starts, counts, values, width):
    """Writes row i's first counts[i] values to flat[starts[i]:starts[i] + counts[i]] (one masked scatter)."""
    cols = np.arange(width)[None, :]
    mask = cols < counts[:, None]
    flat[(starts[:, None] + cols)[mask]] = values[mask]


def block(rng, n, fillers, w1, w2):
    m = rng.integers(1, MAX_BETWEEN + 1, n)
    left_n = rng.integers(1, MAX_SIDE + 1, n)
    right_n = rng.integers(1, MAX_SIDE + 1, n)
    p = fillers.size
    left = fillers[np.minimum(sample_without_replacement(rng, left_n, MAX_SIDE, p), p - 1)]
    mid = fillers[np.minimum(sample_without_replacement(rng, m, MAX_BETWEEN, p), p - 1)]
    right = fillers[np.minimum(sample_without_replacement(rng, right_n, MAX_SIDE, p), p - 1)]

    # Rows go straight into one flat array; the cut at SEQ_LEN only ever shortens the right segment.
    length = np.minimum(left_n + m + right_n + 2, SEQ_LEN)
    starts = np.zeros(n, np.int64)
    np.cumsum(length[:-1], out=starts[1:])
    flat = np.empty(int(length.sum()), np.int32)
    scatter(flat, starts, left_n, left, MAX_SIDE)
    flat[starts + left_n] = w1
    scatter(flat, starts + left_n + 1, m, mid, MAX_BETWEEN)
    flat[starts + left_n + m + 1] = w2
    scatter(flat, starts + left_n + m + 2, length - left_n - m - 2, right, MAX_SIDE)

    # Row fingerprint: sum of token * odd random weight of its position (mod 2^64), mixed with the length.
    pos = np.arange(flat.size) - np.repeat(starts, length)
    h = np.add.reduceat(flat.astype(np.uint64) * WEIGHTS[pos], starts)
    h ^= length.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    return flat, length, m + 1, h


def generate(rows, path, seed):
    rng = np.random.default_rng(seed)
    w1, w2 = rng.choice(np.arange(1, VOCAB), 2, replace=False)
    fillers = np.setdiff1d(np.arange(1, VOCAB), [w1, w2])
    parts = [block(rng, min(BLOCK, rows - s), fillers, w1, w2) for s in range(0, rows, BLOCK)]
    tokens = np.concatenate([p[0] for p in parts])
    lengths = np.concatenate([p[1] for p in parts])
    targets = np.concatenate([p[2] for p in parts]).astype(np.int32)
    hashes = np.concatenate([p[3] for p in parts])
    _, first = np.unique(hashes, return_index=True)
    keep = np.zeros(rows, bool)
    keep[first] = True
    tokens = tokens[np.repeat(keep, lengths)]
    lengths, targets = lengths[keep], targets[keep]
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    with open(path, "wb") as f:
        np.savez(f, tokens=tokens, offsets=offsets, targets=targets, n_train=np.int64(len(lengths) * 7 // 10))
    return int(tokens.size)


def check(path):
    """Independent checker, one row at a time in plain Python: the two triggers (the two ids in every row)
    each occur once, w1 before w2, target = their distance, segments have distinct fillers, no padding id,
    length <= 120, and no row repeats."""
    d = np.load(path)
    tokens, offsets, targets = d["tokens"], d["offsets"], d["targets"]
    rows = [tokens[offsets[i]:offsets[i + 1]].tolist() for i in range(len(targets))]
    w1, w2 = sorted(set(rows[0]).intersection(*map(set, rows[1:50])), key=rows[0].index)
    bad = 0
    for r, target in zip(rows, targets):
        ok = r.count(w1) == 1 and r.count(w2) == 1 and 0 not in r and len(r) <= SEQ_LEN
        if ok:
            p1, p2 = r.index(w1), r.index(w2)
            segments = (r[:p1], r[p1 + 1:p2], r[p2 + 1:])
            ok = p1 < p2 and p2 - p1 == target and all(len(set(s)) == len(s) > 0 for s in segments)
        bad += not ok
    repeats = len(rows) - len(set(map(tuple, rows)))
    print(f"{len(rows)} rows, {bad} bad, {repeats} repeated")
    return 1 if bad or repeats else 0


def main():
    if sys.argv[1] == "--check":
        sys.exit(check(sys.argv[2]))
    rows, path = int(sys.argv[1]), sys.argv[2]
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    best = best_cpu = 0.0
    generate(100_000, path, 99)  # untimed warm-up, as the C# side warms its JIT
    for r in range(repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        tokens = generate(rows, path, r)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        best, best_cpu = max(best, tokens / seconds), max(best_cpu, tokens / cpu)
        print(f"repeat {r}: {rows} rows, {tokens} tokens, {seconds:.3f} s, {tokens / seconds:.0f} tokens/s, CPU {cpu:.2f} s")
    print(f"best tokens/s {best:.0f}")
    print(f"best tokens/cpu-s {best_cpu:.0f}")


if __name__ == "__main__":
    main()
