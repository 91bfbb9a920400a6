#!/usr/bin/env python3
"""Independent numpy reference for `attnscope trace --model DIR` (GPT-2, schema attnscope.trace/2).

Builds a tiny GPT-2 model folder, runs attnscope on it (every layer, then `--layer 1` alone), and
recomputes every layer and head from the folder's files alone: the safetensors file is parsed here
(8-byte little-endian header length, JSON header, raw little-endian data; F32, F16 and BF16),
config.json read with json, and the tokenizer is a handmade vocab.json + merges.txt whose ids for
the test sentence are written out below by hand. Nothing of attnscope's own code is used for the
expected values.

  x_0          embeddings = wte[ids], positional = wpe[:n], input = x_0 = wte[ids] + wpe[:n]
  per block    layers[l] (found by its index): input = x, attention_input = a = LN(x; ln_1);
               weights W_Q, W_K, W_V, b_Q, b_K, b_V = the thirds of c_attn, W_O, b_O = c_proj;
               Q, K, V = a W_* + b_*; per head h (kv_head = h): Q, K, V = its columns,
               scores = Q K^T, scaled = scores / sqrt(d_head), logits = scaled with -inf above the
               diagonal, attention = softmax, output = attention V; concat; output = concat W_O + b_O;
               x += output; x += gelu_tanh(LN(x; ln_2) W_fc + b) W_mlp_proj + b
  aggregates   mean_attention over heads; rollout R_l = norm(0.5 A_l + 0.5 I) R_{l-1}
  next token   softmax(LN(x[-1]; ln_f) wte^T), top 5, each with its prob

Every stage must match within 1e-4 (absolute, entries are O(1)). A stage missing from a layer or
head is skipped (a trace past its cell budget has no scores, scaled or logits), but the trace must
have its layers and every head its attention. Exits 1 naming the failures.

Usage:
  gpt2_reference.py ATTNSCOPE WORKDIR [--layout synth|hf] [--corrupt STAGE]
    synth: the checkpoint exactly as `attnscope model synth` (save_gpt2) writes it
    hf:    rewritten the way Hugging Face checkpoints often look: "transformer." prefixes, the
           attn.bias / attn.masked_bias buffers, some tensors stored as F16 and BF16
    --corrupt STAGE perturbs STAGE in the trace and exits 0 only if the check catches it: a stage of
           the last layer (input, attention_input, Q, concat, output, rollout, ...), heads.NAME (its
           head 1), weights (= W_Q) or a weight (W_Q, b_O, ...), embeddings, positional, next_tokens
"""
import argparse
import json
import math
import os
import struct
import subprocess
import sys

import numpy as np

TOLERANCE = 1e-4
TEXT = "the cat sat on the mat"


def bytes_to_unicode():
    """GPT-2's encoder.py: every byte as a printable character (the space becomes "Ġ")."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


# A byte-level vocabulary: byte b has id b, then the merges' results in rank order.
MERGES = ["t h", "th e", "a t", "Ġ c", "Ġc at", "Ġ s", "Ġs at", "Ġ the", "o n", "Ġ on", "Ġ m"]
BYTE_SYMBOLS = bytes_to_unicode()
VOCAB = [BYTE_SYMBOLS[b] for b in range(256)] + [m.replace(" ", "") for m in MERGES]
# Worked by hand: "the" -> t h e -> th e -> the (257); " cat" -> Ġ c a t -> Ġ c at -> Ġc at -> Ġcat
# (260); " sat" likewise (262); " on" -> Ġ o n -> Ġ on -> Ġon (265); " the" -> Ġ th e -> Ġ the -> Ġthe
# (263); " mat" -> Ġ m a t -> Ġ m at -> Ġm (266) at (258).
EXPECTED_IDS = [257, 260, 262, 265, 263, 266, 258]
EXPECTED_PIECES = ["the", " cat", " sat", " on", " the", " m", "at"]
LAYERS, HEADS, EMBD, CTX, VOCAB_SIZE = 2, 3, 12, 16, 512

DTYPES = {"F32": np.dtype("<f4"), "F16": np.dtype("<f2"), "BF16": np.dtype("<u2")}


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (header_len,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + header_len])
    data = blob[8 + header_len:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = np.frombuffer(data[begin:end], dtype=DTYPES[info["dtype"]])
        if info["dtype"] == "BF16":
            values = (raw.astype(np.uint32) << 16).view(np.float32)
        else:
            values = raw
        tensors[name] = values.astype(np.float64).reshape(info["shape"])
    return tensors


def write_safetensors(path, tensors):
    """tensors: list of (name, dtype, array); 4-byte dtypes first so that every offset stays aligned."""
    header, chunks, offset = {}, [], 0
    for name, dtype, array in sorted(tensors, key=lambda t: t[1] != "F32"):
        if dtype == "BF16":
            raw = (np.asarray(array, dtype=np.float32).view(np.uint32) >> 16).astype("<u2").tobytes()
        else:
            raw = np.asarray(array, dtype=DTYPES[dtype]).tobytes()
        header[name] = {"dtype": dtype, "shape": list(np.shape(array)), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def rewrite_hf_layout(folder, config):
    """Prefixes every name with "transformer.", adds the mask buffers, stores some tensors in F16 / BF16."""
    tensors = read_safetensors(os.path.join(folder, "model.safetensors"))
    out = []
    for name, array in tensors.items():
        dtype = "F16" if "ln_1" in name else "BF16" if name in ("wpe.weight", "h.1.mlp.c_fc.weight") else "F32"
        out.append(("transformer." + name, dtype, array))
    n = config["n_positions"]
    for i in range(config["n_layer"]):
        out.append((f"transformer.h.{i}.attn.bias", "F32", np.tril(np.ones((n, n)))[None, None]))
        out.append((f"transformer.h.{i}.attn.masked_bias", "F32", np.array(-1e4)))
    write_safetensors(os.path.join(folder, "model.safetensors"), out)


def weight(tensors, name):
    return tensors[name] if name in tensors else tensors["transformer." + name]


def layer_norm(x, w, b, eps):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def gelu(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def softmax_rows(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def reference(folder, ids):
    config = json.load(open(os.path.join(folder, "config.json")))
    t = read_safetensors(os.path.join(folder, "model.safetensors"))
    eps = config.get("layer_norm_epsilon", 1e-5)
    D, H = config["n_embd"], config["n_head"]
    d = D // H
    n = len(ids)
    embeddings, positional = weight(t, "wte.weight")[ids], weight(t, "wpe.weight")[:n]
    x = embeddings + positional
    causal = np.tril(np.ones((n, n), dtype=bool))
    layers, rollout = [], np.eye(n)
    for i in range(config["n_layer"]):
        w = lambda name: weight(t, f"h.{i}.{name}")
        layer = {"input": x.copy()}
        a = layer_norm(x, w("ln_1.weight"), w("ln_1.bias"), eps)
        layer["attention_input"] = a
        c_attn, c_attn_bias = w("attn.c_attn.weight"), w("attn.c_attn.bias")
        layer["weights"] = {"W_Q": c_attn[:, :D], "W_K": c_attn[:, D:2 * D], "W_V": c_attn[:, 2 * D:],
                            "W_O": w("attn.c_proj.weight"), "b_Q": c_attn_bias[:D], "b_K": c_attn_bias[D:2 * D],
                            "b_V": c_attn_bias[2 * D:], "b_O": w("attn.c_proj.bias")}
        qkv = a @ c_attn + c_attn_bias
        layer["Q"], layer["K"], layer["V"] = qkv[:, :D], qkv[:, D:2 * D], qkv[:, 2 * D:]
        heads = []
        for h in range(H):
            Q, K, V = (qkv[:, part * D + h * d: part * D + (h + 1) * d] for part in range(3))
            scores = Q @ K.T
            scaled = scores / math.sqrt(d)
            logits = np.where(causal, scaled, -np.inf)
            attention = softmax_rows(logits)
            heads.append({"Q": Q, "K": K, "V": V, "scores": scores, "scaled": scaled, "logits": logits,
                          "attention": attention, "output": attention @ V})
        layer["heads"] = heads
        layer["concat"] = np.concatenate([hd["output"] for hd in heads], axis=1)
        layer["output"] = layer["concat"] @ w("attn.c_proj.weight") + w("attn.c_proj.bias")
        layer["mean_attention"] = np.mean([hd["attention"] for hd in heads], axis=0)
        mixed = 0.5 * layer["mean_attention"] + 0.5 * np.eye(n)
        rollout = (mixed / mixed.sum(axis=1, keepdims=True)) @ rollout
        layer["rollout"] = rollout
        x = x + layer["output"]
        hidden = gelu(layer_norm(x, w("ln_2.weight"), w("ln_2.bias"), eps) @ w("mlp.c_fc.weight") + w("mlp.c_fc.bias"))
        x = x + hidden @ w("mlp.c_proj.weight") + w("mlp.c_proj.bias")
        layers.append(layer)
    last = layer_norm(x[-1], weight(t, "ln_f.weight"), weight(t, "ln_f.bias"), eps)
    z = weight(t, "wte.weight") @ last
    p = np.exp(z - z.max())
    p /= p.sum()
    top = {"embeddings": embeddings, "positional": positional, "input": embeddings + positional}
    return config, top, layers, p


def matrix(rows):
    return np.array([[-np.inf if v is None else float(v) for v in row] for row in rows], dtype=float)


class Checker:
    def __init__(self):
        self.failed = []
        self.count = 0
        self.skipped = []

    def compare(self, stage, got, want):
        self.count += 1
        got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
        if got.shape != want.shape:
            self.failed.append(f"{stage}: shape {got.shape}, expected {want.shape}")
        elif np.isnan(got).any():
            self.failed.append(f"{stage}: contains NaN")
        elif not np.array_equal(np.isinf(got), np.isinf(want)):
            self.failed.append(f"{stage}: masked (null) cells differ")
        else:
            finite = np.isfinite(want)
            err = np.abs(got[finite] - want[finite]).max() if finite.any() else 0.0
            if err > TOLERANCE:
                self.failed.append(f"{stage}: max |error| {err:.3g} > {TOLERANCE}")

    def equal(self, stage, got, want):
        self.count += 1
        if got != want:
            self.failed.append(f"{stage}: {got!r}, expected {want!r}")

    def skip(self, stage):
        self.skipped.append(stage)


LAYER_STAGES = ("input", "attention_input", "Q", "K", "V", "concat", "output", "mean_attention", "rollout")
HEAD_STAGES = ("Q", "K", "V", "scores", "scaled", "logits", "attention", "output")
WEIGHTS = ("W_Q", "W_K", "W_V", "W_O", "b_Q", "b_K", "b_V", "b_O")


def check(trace, folder, indices=None):
    """Checks a trace against the reference; indices: the layers it must hold (default: all)."""
    c = Checker()
    c.equal("schema", trace.get("schema"), "attnscope.trace/2")
    c.equal("token_ids", trace["token_ids"], EXPECTED_IDS)
    c.equal("tokens", trace["tokens"], EXPECTED_PIECES)
    config, top, layers, p = reference(folder, EXPECTED_IDS)
    cfg = trace["config"]
    c.equal("config.model", cfg["model"], folder)
    c.equal("config.layers", cfg.get("layers"), config["n_layer"])
    c.equal("config.layer is gone", "layer" in cfg, False)
    for gone in ("weights", "heads", "concat", "output", "exact_output", "comparison"):
        c.equal(f"top-level {gone} is gone", gone in trace, False)
    D, H = config["n_embd"], config["n_head"]
    c.equal("model", trace.get("model"), {"family": "gpt2", "n_layer": config["n_layer"], "n_head": H,
                                          "n_kv_head": H, "d_model": D, "d_head": D // H,
                                          "n_ctx": config["n_positions"], "vocab_size": config["vocab_size"]})
    for key in ("embeddings", "positional", "input"):
        c.compare(key, matrix(trace[key]), top[key])
    n = len(EXPECTED_IDS)
    c.equal("mask", trace["mask"], np.tril(np.ones((n, n), dtype=bool)).tolist())

    got_layers = trace.get("layers") or []
    if not got_layers:
        c.failed.append("layers: the trace has none")
    if indices is None:
        indices = list(range(config["n_layer"]))
    c.equal("layer indices", [got.get("index") for got in got_layers], indices)
    for got in got_layers:
        l = got.get("index")
        if not isinstance(l, int) or not 0 <= l < len(layers):
            continue  # reported by "layer indices"
        check_layer(c, got, layers[l], f"layers[{l}]")

    top5 = np.argsort(-p, kind="stable")[:5]
    got_ids = [t["id"] for t in trace["next_tokens"]]
    c.equal("next_tokens ids", sorted(got_ids), sorted(int(i) for i in top5))
    c.equal("next_tokens keys", [sorted(t) for t in trace["next_tokens"]], [["id", "piece", "prob"]] * len(got_ids))
    c.compare("next_tokens prob", [t.get("prob") for t in trace["next_tokens"]], p[got_ids])
    decode = {v: k for k, v in BYTE_SYMBOLS.items()}
    for t in trace["next_tokens"]:
        if t["id"] < len(VOCAB):
            text = bytes(decode[ch] for ch in VOCAB[t["id"]]).decode("utf-8", errors="replace")
            c.equal(f"next token {t['id']} piece", t["piece"], text)
    return c


def check_layer(c, got, want, name):
    """One written layer against the reference's; stages the trace left out are skipped."""
    for key in LAYER_STAGES:
        if key in got:
            c.compare(f"{name}.{key}", matrix(got[key]), want[key])
        else:
            c.skip(f"{name}.{key}")
    for key in ("key_input", "exact_output", "comparison"):  # cross-attention or variants only
        c.equal(f"{name} has no {key}", key in got, False)
    if "weights" in got:
        w = got["weights"]
        c.equal(f"{name}.weights keys", sorted(w), sorted(WEIGHTS))
        for key in WEIGHTS:
            if key in w:
                c.compare(f"{name}.weights.{key}", matrix(w[key]) if key.startswith("W") else w[key],
                          want["weights"][key])
    else:
        c.skip(f"{name}.weights")
    heads = got.get("heads") or []
    c.equal(f"{name} head count", len(heads), len(want["heads"]))
    for h, (gh, wh) in enumerate(zip(heads, want["heads"])):
        c.equal(f"{name}.heads[{h}].kv_head", gh.get("kv_head"), h)
        if "attention" not in gh:
            c.failed.append(f"{name}.heads[{h}]: no attention")
        for key in HEAD_STAGES:
            if key in gh:
                c.compare(f"{name}.heads[{h}].{key}", matrix(gh[key]), wh[key])
            else:
                c.skip(f"{name}.heads[{h}].{key}")
        for key in ("bias", "variant"):
            c.equal(f"{name}.heads[{h}] has no {key}", key in gh, False)


def corrupt(trace, stage):
    layer = trace["layers"][-1]
    if stage.startswith("heads."):
        rows = layer["heads"][1][stage.split(".", 1)[1]]
    elif stage == "next_tokens":
        trace["next_tokens"][0]["prob"] += 1e-3
        return
    elif stage == "weights":
        rows = layer["weights"]["W_Q"]
    elif stage in WEIGHTS:
        rows = layer["weights"][stage]
    elif stage in ("embeddings", "positional"):
        rows = trace[stage]
    else:
        rows = layer[stage]
    if not isinstance(rows[-1], list):  # a bias vector
        rows[-1] += 1e-3
        return
    rows[-1][0] = (rows[-1][0] or 0.0) + 1e-3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("attnscope")
    ap.add_argument("workdir")
    ap.add_argument("--layout", choices=["synth", "hf"], default="synth")
    ap.add_argument("--corrupt")
    args = ap.parse_args()
    folder = os.path.join(os.path.abspath(args.workdir), "gpt2_" + args.layout)
    os.makedirs(folder, exist_ok=True)
    subprocess.run([args.attnscope, "model", "synth", "--out", folder, "--layers", str(LAYERS), "--heads", str(HEADS),
                    "--embd", str(EMBD), "--ctx", str(CTX), "--vocab", str(VOCAB_SIZE), "--seed", "5"], check=True,
                   stdout=subprocess.DEVNULL)
    with open(os.path.join(folder, "vocab.json"), "w") as f:
        json.dump({s: i for i, s in enumerate(VOCAB)}, f, ensure_ascii=False)
    with open(os.path.join(folder, "merges.txt"), "w") as f:
        f.write("#version: 0.2\n" + "\n".join(MERGES) + "\n")
    if args.layout == "hf":
        rewrite_hf_layout(folder, json.load(open(os.path.join(folder, "config.json"))))
    out = os.path.join(folder, "trace.json")
    subprocess.run([args.attnscope, "trace", "--model", folder, "--text", TEXT, "--out", out], check=True)
    trace = json.load(open(out))
    if args.corrupt:
        try:
            corrupt(trace, args.corrupt)
        except (KeyError, IndexError, TypeError):
            print(f"corrupted {args.corrupt}: the trace has no such stage")
            return 1
    c = check(trace, folder)
    # `--layer 1` writes that layer alone, under its own index.
    out = os.path.join(folder, "trace_layer1.json")
    subprocess.run([args.attnscope, "trace", "--model", folder, "--layer", "1", "--text", TEXT, "--out", out],
                   check=True)
    one = check(json.load(open(out)), folder, indices=[1])
    c.count += one.count
    c.failed += [f"--layer 1: {f}" for f in one.failed]
    c.skipped += one.skipped
    if args.corrupt:
        if c.failed:
            print(f"corrupted {args.corrupt}: caught ({c.failed[0]})")
            return 0
        print(f"corrupted {args.corrupt}: NOT caught")
        return 1
    for f in c.failed:
        print("FAIL", f)
    skipped = f", {len(c.skipped)} stages not in the trace skipped" if c.skipped else ""
    print(f"{c.count - len(c.failed)} of {c.count} checks passed ({args.layout} layout{skipped})")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
