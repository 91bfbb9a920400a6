#!/usr/bin/env python3
"""Independent reference for attnscope trace JSON (schema attnscope.trace/1).

Recomputes every stage of a trace with numpy, from only the text-independent parts it
needs, and compares each with what the trace says:

  embeddings   taken from the trace (seeded per token: checked only for "same token, same row")
  positional   sinusoidal from the closed form sin/cos(p / 10000^(2i/d)); learned taken from
               the trace; zeros for none/rope/alibi/relative; then the config's edits
  input        embeddings + positional, then edits
  Q, K, V      input @ W_* (key side from cross.input for cross-attention), then edits;
               per head the columns [h*d_head, (h+1)*d_head), RoPE on interleaved pairs
               (2i, 2i+1) by pos * 10000^(-2i/d_head)
  mask         from the tokens: causal hides j > i; padding masks hide "<pad>" keys
  bias         ALiBi: -slope * |i - j| with slopes by Press et al.'s rule (checked against
               weights.alibi_slopes); relative: weights.relative_bias_table[h, bucket(j - i)]
               with T5's bucket function written here
  scaled       (scores / sqrt(d_head) + bias) / T
  logits       scaled, null where masked
  attention    row softmax, all-masked rows zero
  output       attention @ V; concat; output = concat @ W_O

Each stage must match within relative Frobenius error 1e-5. Prints one line per stage and
exits 1 naming the stages that failed.

Usage:
  recompute_trace.py TRACE.json
  recompute_trace.py --run ATTNSCOPE --out TRACE.json -- [trace options...]
      runs `ATTNSCOPE trace [options] --out TRACE.json` first, then checks it
  recompute_trace.py --corrupt STAGE TRACE.json
      self-test: perturbs STAGE in the loaded trace and exits 0 only if the check catches it
"""
import argparse
import json
import math
import shlex
import subprocess
import sys

import numpy as np

TOLERANCE = 1e-5


def matrix(rows):
    """A JSON matrix (array of rows, null for masked) as a float array with -inf for null."""
    return np.array([[-np.inf if v is None else float(v) for v in row] for row in rows], dtype=float).reshape(
        len(rows), -1 if rows else 0)


def sinusoidal(n, d):
    pe = np.zeros((n, d))
    for p in range(n):
        for k in range(d):
            i = k // 2
            angle = p / (10000.0 ** (2.0 * i / d))
            pe[p, k] = math.sin(angle) if k % 2 == 0 else math.cos(angle)
    return pe


def rope(x, positions):
    """Rotates interleaved pairs (2i, 2i+1) of each row by pos * 10000^(-2i/d); an odd last dim stays."""
    out = x.copy()
    d = x.shape[1]
    for r, pos in enumerate(positions):
        for i in range(d // 2):
            theta = pos * 10000.0 ** (-2.0 * i / d)
            c, s = math.cos(theta), math.sin(theta)
            a, b = x[r, 2 * i], x[r, 2 * i + 1]
            out[r, 2 * i] = a * c - b * s
            out[r, 2 * i + 1] = a * s + b * c
    return out


def alibi_slopes(n):
    """Press et al., ALiBi reference code (get_slopes)."""
    def power_of_2(n):
        start = 2 ** (-2 ** -(math.log2(n) - 3))
        return [start * start ** i for i in range(n)]
    if math.log2(n).is_integer():
        return power_of_2(n)
    closest = 2 ** math.floor(math.log2(n))
    return power_of_2(closest) + alibi_slopes(2 * closest)[0::2][: n - closest]


def t5_bucket(relative_position, bidirectional, num_buckets=32, max_distance=128):
    """T5's _relative_position_bucket for one offset (key position - query position)."""
    ret = 0
    n = -relative_position
    if bidirectional:
        num_buckets //= 2
        if n < 0:
            ret += num_buckets
        n = abs(n)
    else:
        n = max(n, 0)
    max_exact = num_buckets // 2
    if n < max_exact:
        return ret + n
    large = max_exact + int(math.log(n / max_exact) / math.log(max_distance / max_exact) * (num_buckets - max_exact))
    return ret + min(large, num_buckets - 1)


def softmax_rows(logits):
    out = np.zeros_like(logits)
    for i, row in enumerate(logits):
        if np.all(np.isneginf(row)):
            continue  # nothing to attend to: zero weights
        e = np.exp(row - row[np.isfinite(row)].max())
        out[i] = e / e.sum()
    return out


def apply_edits(m, edits, name):
    m = m.copy()
    for e in edits:
        if e["matrix"] == name:
            m[e["row"], e["col"]] = e["value"]
    return m


class Checker:
    def __init__(self):
        self.failed = []
        self.count = 0

    def compare(self, stage, got, want):
        """Relative Frobenius error over finite cells; infinities (masked) must coincide."""
        self.count += 1
        got = np.asarray(got, dtype=float)
        want = np.asarray(want, dtype=float)
        if got.shape != want.shape:
            return self.fail(stage, f"shape {got.shape}, expected {want.shape}")
        if np.isnan(got).any():
            return self.fail(stage, "contains NaN")
        if not np.array_equal(np.isinf(got), np.isinf(want)) or not np.array_equal(got[np.isinf(got)],
                                                                                    want[np.isinf(want)]):
            return self.fail(stage, "masked (null) cells differ")
        finite = np.isfinite(want)
        diff = np.linalg.norm(got[finite] - want[finite])
        scale = np.linalg.norm(want[finite])
        err = diff / scale if scale > 0 else diff
        if not err <= TOLERANCE:
            return self.fail(stage, f"relative error {err:.3e} > {TOLERANCE:g}")
        print(f"ok   {stage}: relative error {err:.1e}")

    def require(self, stage, condition, message):
        self.count += 1
        if not condition:
            return self.fail(stage, message)
        print(f"ok   {stage}")

    def fail(self, stage, message):
        self.failed.append(stage)
        print(f"FAIL {stage}: {message}")


def check(trace):
    c = Checker()
    c.require("schema", trace.get("schema") == "attnscope.trace/1", f"schema is {trace.get('schema')!r}")
    cfg = trace["config"]
    d_model, H = cfg["d_model"], cfg["heads"]
    d = d_model // H
    pe, mask_name, T, edits = cfg["pe"], cfg["mask"], cfg["temperature"], cfg["edits"]
    c.require("config.d_head", cfg["d_head"] == d, f"d_head {cfg['d_head']}, expected {d}")
    # Sparse, local and low-rank variants apply an effective matrix this reference does not model.
    c.require("config.variant", cfg.get("variant") == "dense",
              f"variant {cfg.get('variant')!r}: this reference recomputes dense attention only")
    cross = "cross" in trace
    c.require("config.cross", cross == bool(cfg["cross_text"]), "cross section present iff cross_text is set")
    sides = [("", trace)] + ([("cross_", trace["cross"])] if cross else [])

    inputs = {}
    for prefix, side in sides:
        tokens = side["tokens"]
        n = len(tokens)
        E = matrix(side["embeddings"])
        c.require(f"{prefix}embeddings shape", E.shape == (n, d_model), f"shape {E.shape}")
        edited = {e["row"] for e in edits if e["matrix"] == prefix + "embeddings"}
        same = all(np.array_equal(E[i], E[j]) for i in range(n) for j in range(i) if tokens[i] == tokens[j]
                   and i not in edited and j not in edited)
        c.require(f"{prefix}embeddings: same token, same row", same, "a repeated token has two embeddings")
        if pe == "sinusoidal":
            P = sinusoidal(n, d_model)
        elif pe == "learned":
            P = matrix(side["positional"])  # a seeded table: taken from the trace
            c.require(f"{prefix}positional shape", P.shape == (n, d_model), f"shape {P.shape}")
        else:
            P = np.zeros((n, d_model))
        P = apply_edits(P, edits, prefix + "positional")
        c.compare(f"{prefix}positional", matrix(side["positional"]), P)
        X = apply_edits(E + P, edits, prefix + "input")
        c.compare(f"{prefix}input", matrix(side["input"]), X)
        inputs[prefix] = X
    if pe == "learned" and cross and not any(e["matrix"].endswith("positional") for e in edits):
        # one table for both texts: position p has the same vector on either side
        rows = min(len(trace["tokens"]), len(trace["cross"]["tokens"]))
        c.compare("learned positional shared by both texts", matrix(trace["cross"]["positional"])[:rows],
                  matrix(trace["positional"])[:rows])
    c.require("config.n", cfg["n"] == len(trace["tokens"]), "n differs from the tokens")
    key_tokens = (trace["cross"] if cross else trace)["tokens"]
    n, m = len(trace["tokens"]), len(key_tokens)
    c.require("config.m", cfg["m"] == m, "m differs from the key tokens")

    X, Xk = inputs[""], inputs["cross_" if cross else ""]
    w = trace["weights"]
    Q = apply_edits(X @ matrix(w["W_Q"]), edits, "Q")
    K = apply_edits(Xk @ matrix(w["W_K"]), edits, "K")
    V = apply_edits(Xk @ matrix(w["W_V"]), edits, "V")

    causal = mask_name in ("causal", "causal+padding")
    padding = mask_name in ("padding", "causal+padding")
    allowed = np.ones((n, m), dtype=bool)
    for i in range(n):
        for j in range(m):
            if (causal and j > i) or (padding and key_tokens[j] == "<pad>"):
                allowed[i, j] = False
    c.require("mask", np.array_equal(np.array(trace["mask"], dtype=bool), allowed),
              "the trace's mask differs from the one the tokens and mask name give")

    if pe == "alibi":
        c.compare("weights.alibi_slopes", w["alibi_slopes"], alibi_slopes(H))
        slopes = alibi_slopes(H)
    if pe == "relative":
        table = matrix(w["relative_bias_table"])
        c.require("weights.relative_bias_table shape", table.shape == (H, 32), f"shape {table.shape}")

    c.require("heads", len(trace["heads"]) == H, f"{len(trace['heads'])} heads, expected {H}")
    concat = np.zeros((n, d_model))
    for h, head in enumerate(trace["heads"]):
        cols = slice(h * d, (h + 1) * d)
        q, k, v = Q[:, cols], K[:, cols], V[:, cols]
        if pe == "rope":
            q, k = rope(q, range(n)), rope(k, range(m))
        scores = q @ k.T
        bias = np.zeros((n, m))
        if pe == "alibi":
            bias = np.array([[-slopes[h] * abs(i - j) for j in range(m)] for i in range(n)])
        elif pe == "relative":
            bias = np.array([[table[h, t5_bucket(j - i, not causal)] for j in range(m)] for i in range(n)])
        scaled = (scores / math.sqrt(d) + bias) / T
        logits = np.where(allowed, scaled, -np.inf)
        attention = softmax_rows(logits)
        out = attention @ v
        concat[:, cols] = out
        p = f"heads[{h}]."
        c.compare(p + "Q", matrix(head["Q"]), q)
        c.compare(p + "K", matrix(head["K"]), k)
        c.compare(p + "V", matrix(head["V"]), v)
        c.compare(p + "scores", matrix(head["scores"]), scores)
        if pe in ("alibi", "relative"):
            c.compare(p + "bias", matrix(head["bias"]), bias)
        else:
            c.require(p + "bias", "bias" not in head, "a bias without alibi or relative")
        c.compare(p + "scaled", matrix(head["scaled"]), scaled)
        c.compare(p + "logits", matrix(head["logits"]), logits)
        c.compare(p + "attention", matrix(head["attention"]), attention)
        c.compare(p + "output", matrix(head["output"]), out)
    c.compare("concat", matrix(trace["concat"]), concat)
    c.compare("output", matrix(trace["output"]), concat @ matrix(w["W_O"]))
    return c


def corrupt(trace, stage):
    """Scales one cell of a named stage ("input", "heads.attention", "output", ...) by 1.01."""
    if stage.startswith("heads."):
        target = trace["heads"][-1][stage[len("heads."):]]
    elif stage == "mask":
        trace["mask"][-1][0] = not trace["mask"][-1][0]
        return
    else:
        target = trace[stage]
    row = target[-1]
    col = max(range(len(row)), key=lambda j: abs(row[j]) if row[j] is not None else -1)
    row[col] = row[col] * 1.01 + 1e-3


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("trace", nargs="?", help="trace JSON to check")
    parser.add_argument("--run", metavar="ATTNSCOPE", help="run ATTNSCOPE trace first")
    parser.add_argument("--out", help="where --run writes the trace")
    parser.add_argument("--corrupt", metavar="STAGE", help="self-test: perturb STAGE and expect a failure")
    argv = sys.argv[1:]
    options = argv[argv.index("--") + 1:] if "--" in argv else []  # for attnscope trace
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)

    path = args.trace
    if args.run:
        path = args.out
        cmd = [args.run, "trace", *options, "--out", path]
        print("$ " + shlex.join(cmd))
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            print(f"FAIL attnscope trace exited {done.returncode}: {done.stderr.strip()}")
            return 1
    if not path:
        parser.error("give a trace file, or --run ATTNSCOPE --out FILE")
    with open(path, encoding="utf-8") as f:
        trace = json.load(f)
    if args.corrupt:
        corrupt(trace, args.corrupt)
    result = check(trace)
    if args.corrupt:
        if result.failed:
            print(f"self-test ok: corrupting {args.corrupt} was caught ({', '.join(result.failed)})")
            return 0
        print(f"FAIL self-test: corrupting {args.corrupt} went unnoticed")
        return 1
    if result.failed:
        print(f"{len(result.failed)} of {result.count} checks failed: {', '.join(result.failed)}")
        return 1
    print(f"all {result.count} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
