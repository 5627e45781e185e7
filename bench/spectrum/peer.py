#!/usr/bin/python3
"""The peer side of bench/spectrum: numpy/scipy on the same matrices as SpectrumBench (same formulas).

Prints the same tab-separated lines: case, seconds, lambda_min, lambda_max, note.
"""
import sys
import time

import numpy as np
import scipy
from scipy.sparse.linalg import LinearOperator, eigsh


def timed(work, repeats):
    result = work() if repeats > 1 else None  # warm-up for repeated cases only, as on our side
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - t)
    return min(times), result  # best of k, as on our side


def emit(name, seconds, lo, hi, note):
    print("\t".join([name, repr(seconds), repr(float(lo)), repr(float(hi)), note]), flush=True)


def sin_matrix(n):
    i = np.arange(1, n + 1, dtype=float)
    return np.sin(1e-3 * np.outer(i, i))


def toeplitz_operator(n):
    """B = -|i-j| through circulant embedding with scipy.fft: the structured peer."""
    m = 1 << int(np.ceil(np.log2(2 * n)))
    c = np.zeros(m)
    c[:n] = -np.arange(n, dtype=float)
    c[m - n + 1:] = -np.arange(n - 1, 0, -1, dtype=float)
    lam = scipy.fft.rfft(c)

    def matvec(x):
        x = np.ravel(x)
        return scipy.fft.irfft(lam * scipy.fft.rfft(x, m), m)[:n]

    return LinearOperator((n, n), matvec=matvec, rmatvec=matvec, dtype=float)


def structured(n):
    op = toeplitz_operator(n)
    v0 = np.random.default_rng(0).standard_normal(n)
    w = eigsh(op, k=2, which="BE", tol=1e-10, v0=v0, return_eigenvectors=False)
    return w.min(), w.max()


def main():
    only = sys.argv[1] if len(sys.argv) > 1 else "all"
    cfg = np.__config__
    blas = "reference" if "openblas" not in str(getattr(cfg, "blas_opt_info", "")) else "openblas"
    if only in ("all", "eigvalsh"):
        for n in (512, 1024, 2048):
            a = sin_matrix(n)
            t, w = timed(lambda: np.linalg.eigvalsh(a), 5 if n <= 1024 else 1)
            emit(f"eigvalsh-{n}", t, w[0], w[-1], f"numpy {np.__version__} eigvalsh ({blas} LAPACK)")
    if only in ("all", "toeplitz"):
        dense_n = 4096
        i = np.arange(dense_n, dtype=float)
        b = -np.abs(i[:, None] - i[None, :])
        t, w = timed(lambda: np.linalg.eigvalsh(b), 1)
        emit(f"toeplitz-dense-{dense_n}", t, w[0], w[-1], "numpy eigvalsh")
        emit("toeplitz-dense-16384-extrapolated", t * (16384 / dense_n) ** 3, float("nan"), float("nan"),
             f"numpy measured at {dense_n} x (16384/{dense_n})^3")
        for n in (2048, 16384, 1 << 20):
            t, (lo, hi) = timed(lambda: structured(n), 5 if n <= 16384 else 3)
            emit(f"toeplitz-structured-{n}", t, lo, hi, f"scipy {scipy.__version__} eigsh + scipy.fft matvec")


if __name__ == "__main__":
    main()
