#!/usr/bin/env python3
"""The dense attention that `attnscope bench --variant dense` times, in numpy (float32).

Per head: S = Q K^T / sqrt(d); S -= rowmax(S); S = exp(S); S /= rowsum(S); out = S V,
with the (n, n) score matrix of one head at a time, updated in place. Same shapes and cost
model as the bench (4 n^2 d + 3 n^2 flops per head), so the GFLOP/s figures compare.

    /usr/bin/python3 scripts/bench_numpy.py --n 4096 --heads 8 --d-head 64 --repeats 3

Debian's numpy multiplies through whatever libblas.so.3 the alternatives system points at: the
reference BLAS (libblas3) unless OpenBLAS (libopenblas0-pthread) is installed. The script prints
the BLAS library it actually loaded.
"""
import argparse
import json
import statistics
import sys
import time

import numpy as np


def attention(Q, K, V, out):
    """Q, K, V: (H, n, d) float32; out: (H, n, d)."""
    scale = np.float32(1.0 / np.sqrt(Q.shape[2]))
    for h in range(Q.shape[0]):
        S = Q[h] @ K[h].T                       # (n, n)
        S *= scale
        S -= S.max(axis=1, keepdims=True)
        np.exp(S, out=S)
        S /= S.sum(axis=1, keepdims=True)
        np.matmul(S, V[h], out=out[h])


def loaded_blas():
    """The BLAS shared libraries mapped into this process (Linux)."""
    try:
        with open("/proc/self/maps") as maps:
            libs = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
        return sorted(libs) or ["(none mapped)"]
    except OSError:
        return ["(unknown)"]


def sizes(spec):
    if ".." in spec:
        a, b = (int(x) for x in spec.split(".."))
        out = []
        while a <= b:
            out.append(a)
            a *= 2
        return out
    return [int(x) for x in spec.split(",")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", default="4096", help="a length, a list 1024,4096, or powers of two A..B")
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--d-head", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", help="also write the rows here")
    args = ap.parse_args()

    rng = np.random.default_rng(args.seed)
    print(f"numpy {np.__version__}; BLAS: {', '.join(loaded_blas())}")
    rows = []
    for n in sizes(args.n):
        shape = (args.heads, n, args.d_head)
        Q, K, V = (rng.uniform(-1, 1, shape).astype(np.float32) for _ in range(3))
        out = np.empty(shape, dtype=np.float32)
        attention(Q[:, :8], K[:, :8], V[:, :8], out[:, :8])  # load the BLAS, start its threads
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            attention(Q, K, V, out)
            times.append(time.perf_counter() - t0)
        seconds = statistics.median(times)
        flops = args.heads * (4.0 * n * n * args.d_head + 3.0 * n * n)
        row = {"variant": "dense", "kernel": "numpy", "n": n, "heads": args.heads, "d_head": args.d_head,
               "seconds": seconds, "times": times, "gflops": flops / seconds * 1e-9,
               "peak_bytes": 4 * (4 * args.heads * n * args.d_head + n * n)}  # Q, K, V, out + one (n, n)
        rows.append(row)
        print(f"dense numpy n {n} heads {args.heads} d_head {args.d_head}: {seconds:.4f} s "
              f"(median of {args.repeats}), {row['gflops']:.1f} GFLOP/s", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"blas": loaded_blas(), "numpy": np.__version__, "rows": rows}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
