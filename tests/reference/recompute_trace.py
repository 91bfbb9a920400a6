#!/usr/bin/env python3
"""Independent reference for attnscope trace JSON (schema attnscope.trace/2).

Recomputes every stage of a trace with numpy, from only the text-independent parts it
needs, and compares each with what the trace says. The sequences sit at the top level; the
attention stages sit in layers[l] (the synthetic engine writes exactly one layer, index 0),
each recomputed from that layer's attention_input, key_input and weights:

  embeddings   taken from the trace (seeded per token: checked only for "same token, same row")
  positional   sinusoidal from the closed form sin/cos(p / 10000^(2i/d)); learned taken from
               the trace; zeros for none/rope/alibi/relative; then the config's edits
  input        embeddings + positional, then edits
  layers[l]    input = attention_input = the top-level input (synthetic engine); key_input =
               cross.input (cross-attention only)
  Q, K, V      attention_input @ W_Q (+ b_Q) (K, V from key_input), then edits; per head
               (kv_head = h) the columns [h*d_head, (h+1)*d_head), RoPE on interleaved pairs
               (2i, 2i+1) by pos * 10000^(-2i/d_head)
  mask         from the tokens: causal hides j > i; padding masks hide "<pad>" keys
  bias         ALiBi: -slope * |i - j| with slopes by Press et al.'s rule (checked against
               weights.alibi_slopes); relative: weights.relative_bias_table[h, bucket(j - i)]
               with T5's bucket function written here
  scaled       (scores / sqrt(d_head) + bias) / T
  logits       scaled, null where masked
  attention    row softmax, all-masked rows zero
  output       attention @ V; concat; output = concat @ W_O (+ b_O)
  aggregates   mean_attention = mean over heads; rollout R_l = rows_normalized(0.5 A_l + 0.5 I) R_{l-1}
               (self-attention only; R_{-1} = I)

A trace written with `--stages` (or a model trace past its cell budget, without scores,
scaled and logits) lacks some stages: those are skipped, and a stage whose inputs are all
missing is taken from the trace for the stages after it. A stage that is present must match,
the trace must have a layer, and every head must have its attention.

Each stage must match within relative Frobenius error 1e-5. Prints one line per stage and
exits 1 naming the stages that failed.

Usage:
  recompute_trace.py TRACE.json
  recompute_trace.py --run ATTNSCOPE --out TRACE.json -- [trace options...]
      runs `ATTNSCOPE trace [options] --out TRACE.json` first, then checks it
  recompute_trace.py --corrupt STAGE TRACE.json
      self-test: perturbs STAGE in the loaded trace and exits 0 only if the check catches it.
      STAGE: embeddings, positional, input (top level), cross.NAME, mask, a layer stage (Q,
      attention_input, concat, output, rollout, ... or layers.NAME; in layers[0]), weights (=
      W_Q) or a weight (W_Q, b_O, alibi_slopes, relative_bias_table, or weights.NAME), heads.NAME
      (layers[0]'s last head)
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
        self.skipped = []

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

    def skip(self, stage, why):
        self.skipped.append(stage)
        print(f"skip {stage}: {why}")

    def stage(self, name, container, key, want):
        """Checks the optional stage container[key] against want (None: nothing to recompute it from).

        Returns what the later stages build on: want when it is known (so that an error upstream
        shows downstream too), else the trace's own value, else None."""
        if key not in container:
            self.skip(name, "not in the trace")
            return want
        got = matrix(container[key]) if is_matrix(container[key]) else np.asarray(container[key], dtype=float)
        if want is None:
            self.skip(name, "nothing upstream in the trace to recompute it from: taken as written")
            return got
        self.compare(name, got, want)
        return want


def is_matrix(value):
    return isinstance(value, list) and (not value or isinstance(value[0], list))


def recompute_sequences(c, trace, cfg, edits, d_model, cross):
    """The top-level sequences (synthetic engine): positional, input; returns the expected inputs."""
    pe = cfg["pe"]
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
    return inputs


def check(trace):
    c = Checker()
    c.require("schema", trace.get("schema") == "attnscope.trace/2", f"schema is {trace.get('schema')!r}")
    for gone in ("weights", "heads", "concat", "output", "exact_output", "comparison"):
        c.require(f"no top-level {gone} (/2: in layers[l])", gone not in trace, f"the trace has a top-level {gone}")
    cfg = trace["config"]
    c.require("no config.layer (/2)", "layer" not in cfg, "the config has a layer")
    model = trace.get("model")
    synthetic = not cfg.get("model")
    c.require("model section iff config.model", (model is not None) == (not synthetic),
              "a model section without config.model, or config.model without one")
    if model:
        d_model, H, d, n_kv = model["d_model"], model["n_head"], model["d_head"], model["n_kv_head"]
        c.require("model: d_model = n_head x d_head", d_model == H * d, f"{d_model} != {H} x {d}")
        c.require("model: n_kv_head divides n_head", n_kv >= 1 and H % n_kv == 0, f"n_kv_head {n_kv}, n_head {H}")
    else:
        d_model, H = cfg["d_model"], cfg["heads"]
        d, n_kv = d_model // H, H
    pe, mask_name, T, edits = cfg["pe"], cfg["mask"], cfg["temperature"], cfg["edits"]
    c.require("config.d_head", cfg["d_head"] == d, f"d_head {cfg['d_head']}, expected {d}")
    # Sparse, local and low-rank variants apply an effective matrix this reference does not model.
    c.require("config.variant", cfg.get("variant") == "dense",
              f"variant {cfg.get('variant')!r}: this reference recomputes dense attention only")
    cross = "cross" in trace
    c.require("config.cross", cross == bool(cfg["cross_text"]), "cross section present iff cross_text is set")

    if synthetic:
        inputs = recompute_sequences(c, trace, cfg, edits, d_model, cross)
    else:
        # A model's embeddings and positions come from its checkpoint (gpt2_reference.py checks them).
        X0 = matrix(trace["embeddings"]) + matrix(trace["positional"])
        c.compare("input = embeddings + positional", matrix(trace["input"]), X0)
        inputs = {"": X0}
    c.require("config.n", cfg["n"] == len(trace["tokens"]), "n differs from the tokens")
    key_tokens = (trace["cross"] if cross else trace)["tokens"]
    n, m = len(trace["tokens"]), len(key_tokens)
    c.require("config.m", cfg["m"] == m, "m differs from the key tokens")

    causal = mask_name in ("causal", "causal+padding")
    padding = mask_name in ("padding", "causal+padding")
    allowed = np.ones((n, m), dtype=bool)
    for i in range(n):
        for j in range(m):
            if (causal and j > i) or (padding and key_tokens[j] == "<pad>"):
                allowed[i, j] = False
    c.require("mask", np.array_equal(np.array(trace["mask"], dtype=bool), allowed),
              "the trace's mask differs from the one the tokens and mask name give")

    layers = trace.get("layers") or []
    if not layers:
        c.fail("layers", "the trace has no layers")
        return c
    layer_count = model["n_layer"] if model else 1
    c.require("config.layers", cfg.get("layers") == layer_count, f"config.layers {cfg.get('layers')!r}, "
              f"expected {layer_count}")
    indices = [layer.get("index") for layer in layers]
    c.require("layers[].index", all(isinstance(i, int) and 0 <= i < layer_count for i in indices)
              and indices == sorted(set(indices)), f"indices {indices} (of {layer_count} layers)")
    if synthetic:
        c.require("one layer (synthetic engine)", indices == [0], f"layer indices {indices}, expected [0]")

    rollout, rollout_index = (np.eye(n), -1) if not cross else (None, None)
    for layer in layers:
        index = layer.get("index")
        expected_input = inputs[""] if synthetic and index == 0 else None
        if not synthetic and index == 0:
            expected_input = matrix(trace["input"])  # the residual stream starts as the top-level input
        expected_keys = (inputs["cross_"] if synthetic else None) if cross else None
        rollout, rollout_index = check_layer(c, layer, index, dict(
            d_model=d_model, H=H, d=d, n_kv=n_kv, n=n, m=m, pe=pe, T=T, edits=edits, causal=causal,
            allowed=allowed, cross=cross, synthetic=synthetic, expected_input=expected_input,
            expected_keys=expected_keys, top_input=matrix(trace["input"]),
            rollout=rollout if rollout_index == index - 1 else None))  # R_{l-1}, when layer l-1 was checked
    return c


def check_layer(c, layer, index, s):
    """Recomputes layers[index] from its attention_input, key_input and weights; returns (rollout, index)."""
    p = f"layers[{index}]."
    D, H, d, n, m, pe, edits = s["d_model"], s["H"], s["d"], s["n"], s["m"], s["pe"], s["edits"]
    c.stage(p + "input", layer, "input", s["expected_input"])
    if s["synthetic"] and "input" in layer:
        c.compare(p + "input = the top-level input", matrix(layer["input"]), s["top_input"])
    # The synthetic engine feeds the projections its input unchanged; a model's ln_1(input) is not
    # recomputed here (gpt2_reference.py does): it is the source of the layer's Q, K and V.
    A = c.stage(p + "attention_input", layer, "attention_input", s["expected_input"] if s["synthetic"] else None)
    if s["cross"]:
        Ak = c.stage(p + "key_input", layer, "key_input", s["expected_keys"])
    else:
        c.require(p + "key_input", "key_input" not in layer, "a key_input in self-attention")
        Ak = A

    w = layer.get("weights")
    if w is None:
        c.skip(p + "weights", "not in the trace")
        w = {}
    W = {}
    for name in ("W_Q", "W_K", "W_V", "W_O"):
        if name in w:
            W[name] = matrix(w[name])
            cols = D if name in ("W_Q", "W_O") else n_kv_cols(s)
            c.require(f"{p}weights.{name} shape", W[name].shape == (D, cols), f"shape {W[name].shape}")
    bias_of = {}
    for name, cols in (("b_Q", D), ("b_K", n_kv_cols(s)), ("b_V", n_kv_cols(s)), ("b_O", D)):
        if name in w:
            bias_of[name] = np.asarray(w[name], dtype=float)
            c.require(f"{p}weights.{name} shape", bias_of[name].shape == (cols,), f"shape {bias_of[name].shape}")
    slopes = alibi_slopes(H) if pe == "alibi" else None
    if pe == "alibi" and "weights" in layer:
        c.compare(p + "weights.alibi_slopes", w.get("alibi_slopes", []), slopes)
    table = None
    if pe == "relative" and "weights" in layer:
        c.require(p + "weights.relative_bias_table", "relative_bias_table" in w, "missing")
        if "relative_bias_table" in w:
            table = matrix(w["relative_bias_table"])
            c.require(p + "weights.relative_bias_table shape", table.shape == (H, 32), f"shape {table.shape}")

    def project(source, name, bias):
        if source is None or name not in W:
            return None
        out = source @ W[name]
        if bias in bias_of:
            out = out + bias_of[bias]
        return apply_edits(out, edits, name[-1])

    Q = c.stage(p + "Q", layer, "Q", project(A, "W_Q", "b_Q"))
    K = c.stage(p + "K", layer, "K", project(Ak, "W_K", "b_K"))
    V = c.stage(p + "V", layer, "V", project(Ak, "W_V", "b_V"))

    heads = layer.get("heads") or []
    c.require(p + "heads", len(heads) == H, f"{len(heads)} heads, expected {H}")
    outputs, attentions = [], []
    for h, head in enumerate(heads):
        ph = f"{p}heads[{h}]."
        kv = h * s["n_kv"] // H
        c.require(ph + "kv_head", head.get("kv_head") == kv, f"kv_head {head.get('kv_head')!r}, expected {kv}")
        qcols, kcols = slice(h * d, (h + 1) * d), slice(kv * d, (kv + 1) * d)
        q = Q[:, qcols] if Q is not None else None
        k = K[:, kcols] if K is not None else None
        v = V[:, kcols] if V is not None else None
        if pe == "rope":
            q = rope(q, range(n)) if q is not None else None
            k = rope(k, range(m)) if k is not None else None
        q = c.stage(ph + "Q", head, "Q", q)
        k = c.stage(ph + "K", head, "K", k)
        v = c.stage(ph + "V", head, "V", v)
        scores = c.stage(ph + "scores", head, "scores", q @ k.T if q is not None and k is not None else None)
        if pe == "alibi":
            bias = c.stage(ph + "bias", head, "bias",
                           np.array([[-slopes[h] * abs(i - j) for j in range(m)] for i in range(n)]))
        elif pe == "relative":
            bias = c.stage(ph + "bias", head, "bias", None if table is None else np.array(
                [[table[h, t5_bucket(j - i, not s["causal"])] for j in range(m)] for i in range(n)]))
        else:
            c.require(ph + "bias", "bias" not in head, "a bias without alibi or relative")
            bias = np.zeros((n, m))
        scaled = c.stage(ph + "scaled", head, "scaled", (scores / math.sqrt(d) + bias) / s["T"]
                         if scores is not None and bias is not None else None)
        logits = c.stage(ph + "logits", head, "logits",
                         np.where(s["allowed"], scaled, -np.inf) if scaled is not None else None)
        if scaled is None and "logits" in head:  # nothing to recompute it from: at least the mask
            c.require(ph + "logits null exactly where masked", logits.shape == (n, m) and
                      np.array_equal(np.isneginf(logits), ~s["allowed"]), "null cells differ from the mask")
        want = softmax_rows(logits) if logits is not None else None
        if "attention" not in head:
            c.fail(ph + "attention", "the head has no attention")
            attention = None
        else:
            attention = c.stage(ph + "attention", head, "attention", want)
            if want is None:  # nothing to recompute it from: what softmax guarantees
                rows = attention.sum(axis=1)
                c.require(ph + "attention is a masked softmax", attention.shape == (n, m) and
                          np.all(attention[~s["allowed"]] == 0) and np.all(attention >= 0) and
                          np.allclose(rows, s["allowed"].any(axis=1).astype(float), atol=1e-6),
                          "negative, non-zero where masked, or rows not summing to 1")
        c.require(ph + "variant", "variant" not in head, "a variant record in a dense trace")
        out = c.stage(ph + "output", head, "output",
                      attention @ v if attention is not None and v is not None else None)
        outputs.append(out)
        attentions.append(attention)

    known = len(outputs) == H and all(o is not None for o in outputs)
    concat = c.stage(p + "concat", layer, "concat", np.concatenate(outputs, axis=1) if known else None)
    output = None
    if concat is not None and "W_O" in W:
        output = concat @ W["W_O"] + bias_of.get("b_O", 0.0)
    output = c.stage(p + "output", layer, "output", output)
    if "exact_output" in layer:  # written only with a variant
        c.stage(p + "exact_output (dense: = output)", layer, "exact_output", output)
    c.require(p + "comparison", "comparison" not in layer, "a comparison in a dense trace")

    known = len(attentions) == H and all(a is not None for a in attentions)
    mean = c.stage(p + "mean_attention", layer, "mean_attention", np.mean(attentions, axis=0) if known else None)
    if s["cross"]:
        c.require(p + "rollout", "rollout" not in layer, "a rollout in cross-attention")
        return None, index
    want = None
    if mean is not None and s["rollout"] is not None:
        mixed = 0.5 * mean + 0.5 * np.eye(n)
        want = (mixed / mixed.sum(axis=1, keepdims=True)) @ s["rollout"]
    return c.stage(p + "rollout", layer, "rollout", want), index


def n_kv_cols(s):
    return s["n_kv"] * s["d"]


LAYER_STAGES = ("input", "attention_input", "key_input", "Q", "K", "V", "concat", "output", "exact_output",
                "mean_attention", "rollout")
WEIGHTS = ("W_Q", "W_K", "W_V", "W_O", "b_Q", "b_K", "b_V", "b_O", "alibi_slopes", "relative_bias_table")


def corrupt(trace, stage):
    """Scales one cell of a named stage by 1.01 (see the usage); mask flips a cell. KeyError if absent."""
    layer = trace["layers"][0]
    if stage == "mask":
        trace["mask"][-1][0] = not trace["mask"][-1][0]
        return
    if stage.startswith("heads."):
        target = layer["heads"][-1]
        for key in stage.split(".")[1:]:
            target = target[key]
    elif stage == "weights":
        target = layer["weights"]["W_Q"]
    elif stage.startswith("weights."):
        target = layer["weights"][stage[len("weights."):]]
    elif stage in WEIGHTS:
        target = layer["weights"][stage]
    elif stage.startswith("layers."):
        target = layer[stage[len("layers."):]]
    elif stage.startswith("cross."):
        target = trace["cross"][stage[len("cross."):]]
    elif stage in ("embeddings", "positional", "input"):
        target = trace[stage]
    elif stage in LAYER_STAGES:
        target = layer[stage]
    else:
        raise KeyError(stage)
    row = target[-1] if is_matrix(target) else target
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
        try:
            corrupt(trace, args.corrupt)
        except (KeyError, IndexError, TypeError):
            print(f"FAIL self-test: the trace has no stage {args.corrupt!r} to corrupt")
            return 1
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
    skipped = f" ({len(result.skipped)} stages skipped: not in the trace, or nothing to recompute them from)" \
        if result.skipped else ""
    print(f"all {result.count} checks passed{skipped}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
