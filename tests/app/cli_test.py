#!/usr/bin/env python3
"""Contract tests for the attnscope command line (standard library only).

Bad input: exit code 2, nothing on stdout, exactly one line on stderr that starts with
"attnscope: " and names the problem, and no output file (nor its .tmp) left behind.
--help exits 0. A good trace exits 0, says nothing on stderr, and writes schema attnscope.trace/2
(one layer, index 0, with the heads).

Usage: cli_test.py ATTNSCOPE WORKDIR CASE     (CASE "all" runs every case)
       cli_test.py --list                     (the case names, ';'-separated, for CMake)
"""
import json
import os
import shutil
import subprocess
import sys

# name: (arguments after the executable, phrases the one stderr line must contain)
BAD_INPUT = {
    "heads-not-dividing": (["trace", "--d-model", "64", "--heads", "5"], ["heads (5) must divide d_model (64)", "try 4 or 8"]),
    "empty-text": (["trace", "--text", ""], ["the text has no tokens"]),
    "whitespace-text": (["trace", "--text", "  \t "], ["no tokens"]),
    "unknown-pe": (["trace", "--pe", "fourier"], ["unknown positional encoding 'fourier'", "rope"]),
    "unknown-mask": (["trace", "--mask", "future"], ["unknown mask 'future'", "causal+padding"]),
    "nan-set": (["trace", "--set", "W_Q[0,0]=nan"], ["W_Q[0,0]", "not a finite number"]),
    "inf-set": (["trace", "--set", "W_Q[0,0]=inf"], ["not a finite number"]),
    "out-of-range-set": (["trace", "--d-model", "64", "--set", "W_Q[64,0]=1"], ["W_Q[64,0] is outside W_Q (64 x 64)"]),
    "malformed-set": (["trace", "--set", "W_Q=1"], ["MATRIX[ROW,COL]=VALUE"]),
    "unknown-set-matrix": (["trace", "--set", "W_X[0,0]=1"], ["cannot edit 'W_X'"]),
    "too-many-tokens": (["trace", "--text", "a " * 2000], ["2000 tokens", "1024"]),
    "learned-past-512": (["trace", "--pe", "learned", "--text", "a " * 600], ["512 rows", "600 tokens"]),
    "causal-cross": (["trace", "--text", "a b", "--cross-text", "c d", "--mask", "causal"], ["causal mask needs self-attention"]),
    "unknown-flag": (["trace", "--frobnicate"], ["--frobnicate"]),
    "non-number-heads": (["trace", "--heads", "four"], ["--heads", "four"]),
    "zero-temperature": (["trace", "--temperature", "0"], ["temperature (0)", "at least 0.001"]),
    "tiny-temperature": (["trace", "--temperature", "1e-310"], ["temperature (1e-310)", "at least 0.001"]),
    "invalid-utf8": (["trace", "--text", b"caf\xc3".decode("utf-8", "surrogateescape")], ["not valid UTF-8"]),
    "unwritable-out": (["trace", "--text", "a b", "--out", "/nonexistent-attnscope-dir/x.json"], ["cannot write", "folder exists"]),
    "tokenize-invalid-utf8": (["tokenize", "--text", b"\xff".decode("utf-8", "surrogateescape")], ["not valid UTF-8"]),
    "bench-unknown-variant": (["bench", "--variant", "fast"], ["unknown variant 'fast'", "linformer"]),
    "bench-no-fast-kernel": (["bench", "--variant", "topk"], ["no fast kernel for topk", "choose dense"]),
    "bench-range-not-powers-of-two": (["bench", "--n", "300..1000"], ["--n 300..1000", "powers of two"]),
    "bench-unreadable-n": (["bench", "--n", "4k"], ["bad --n '4k'", "256..65536"]),
    "bench-zero-n": (["bench", "--n", "0"], ["--n 0 is out of range"]),
    "bench-zero-heads": (["bench", "--heads", "0"], ["heads (0) must be at least 1"]),
    "bench-huge-heads": (["bench", "--heads", "1073741824", "--d-head", "1073741824"], ["heads (1073741824) must be at most 4096"]),
    "synth-negative-embd": (["model", "synth", "--out", "{work}/neg", "--embd", "-16"], ["n_embd (-16) must be between 1"]),
    "synth-huge-embd": (["model", "synth", "--out", "{work}/huge", "--embd", "100000"], ["n_embd (100000) must be between 1 and 16384"]),
    "synth-too-many-layers": (["model", "synth", "--out", "{work}/deep", "--layers", "300"], ["n_layer (300) must be between 1 and 256"]),
    "bench-huge-threads": (["bench", "--threads", "100000"], ["threads (100000) must be at most", "cores"]),
    "bench-zero-repeats": (["bench", "--repeats", "0"], ["repeats (0) must be at least 1"]),
    "bench-negative-budget": (["bench", "--budget", "-1"], ["budget must be a positive number of seconds"]),
    "bench-unknown-isa": (["bench", "--isa", "avx9000"], ["avx9000", "not available", "sse2"]),
    # Variant parameters: every range comes from one table (variant_param_table()).
    "variant-window-negative": (["trace", "--variant", "local", "--window", "-1"],
                                ["window (-1) must be between 0 and 1024", "try --window 2"]),
    "variant-summary-past-stride": (["trace", "--variant", "fixed", "--stride", "4", "--summary", "5"],
                                    ["summary (5) must be between 1 and 4", "--summary"]),
    "variant-too-many-features": (["trace", "--variant", "performer", "--features", "5000"],
                                  ["features (5000) must be between 1 and 4096", "--features"]),
    "variant-global-past-cap": (["trace", "--variant", "local", "--global", "1024"],
                                ["global token (1024) must be between 0 and 1023", "--global 0"]),
    "bench-negative-window": (["bench", "--window", "-1"], ["local window (-1) must be at least 0"]),
    "bench-negative-bigbird-window": (["bench", "--bigbird-window", "-1"], ["bigbird window (-1) must be at least 0"]),
    "bench-too-many-features": (["bench", "--features", "5000"],
                                ["performer features (5000) must be between 1 and 4096"]),
    "huge-edit-value": (["trace", "--set", "W_Q[0,0]=1e999"], ["W_Q[0,0]", "not a finite number"]),
    "edit-logits": (["trace", "--set", "logits[0,0]=1"], ["cannot edit 'logits'", "editable matrices are"]),
    # Numbers are plain decimal, within their type ("010" was octal 8, "-1" and 2^64 became 2^64-1).
    "octal-number": (["trace", "--d-model", "010"], ["--d-model", "\"010\" is not a whole decimal number"]),
    "hex-number": (["trace", "--heads", "0x2"], ["--heads", "\"0x2\" is not a whole decimal number"]),
    "empty-number": (["trace", "--d-model", ""], ["--d-model", "an empty value is not a whole decimal number"]),
    "negative-seed": (["trace", "--seed", "-1"], ["--seed", "\"-1\" is not a whole decimal number >= 0"]),
    "seed-past-2-64": (["trace", "--seed", "18446744073709551616"], ["--seed", "out of range (0 to 18446744073709551615)"]),
    "nan-temperature": (["trace", "--temperature", "nan"], ["--temperature", "not a finite decimal number"]),
    "huge-temperature": (["trace", "--temperature", "1e400"], ["--temperature", "1e400 is out of range"]),
    "huge-indent": (["trace", "--indent", "1100"], ["--indent 1100 is out of range", "0 to 16"]),
    # Options of the synthetic engine are refused next to --model instead of silently ignored.
    "model-with-pe": (["trace", "--model", "{model}", "--pe", "rope"], ["--pe does not apply with --model", "learned positions"]),
    "model-with-temperature": (["trace", "--model", "{model}", "--temperature", "2"], ["--temperature does not apply with --model"]),
    "model-with-mask": (["trace", "--model", "{model}", "--mask", "none"], ["--mask does not apply with --model", "causal"]),
    "model-with-bos": (["trace", "--model", "{model}", "--bos"], ["--bos does not apply with --model"]),
    "model-with-pad-to": (["trace", "--model", "{model}", "--pad-to", "8"], ["--pad-to does not apply with --model"]),
    "model-with-d-model": (["trace", "--model", "{model}", "--d-model", "16"], ["--d-model does not apply with --model", "n_embd"]),
    "model-with-window": (["trace", "--model", "{model}", "--window", "3"], ["--window does not apply with --model"]),
    # train never replaces another model's files, and refuses what it cannot hold or compute.
    "train-out-beside-a-model": (["train", "--steps", "1", "--out", "{model}/ft.safetensors"],
                                 ["already holds another model's config.json", "write to a new folder"]),
    "train-huge-batch": (["train", "--batch", "4096", "--length", "256"], ["needs about", "choose a smaller batch"]),
    "train-infinite-weight-decay": (["train", "--weight-decay", "inf"], ["--weight-decay", "not a finite decimal number"]),
    "train-huge-weight-decay": (["train", "--weight-decay", "1e300"], ["weight decay must be between 0 and 1"]),
    # render checks its lesson before drawing (the error used to be drawn inside the PNG, exit 0).
    "render-unknown-lesson": (["render", "--lesson", "nope", "--out", "{work}/r.png"],
                              ["no lesson named \"nope\"", "choose one of 01-queries-keys-values"]),
    "render-lesson-step-zero": (["render", "--lesson", "02-scaling", "--lesson-step", "0", "--out", "{work}/r.png"],
                                ["--lesson-step 0: 02-scaling.json has steps 1 to"]),
}


def run(exe, args):
    return subprocess.run([exe, *args], capture_output=True, timeout=60)


def check_bad_input(exe, workdir, name):
    args, phrases = BAD_INPUT[name]
    uses_model = any("{model}" in a for a in args)
    if uses_model:  # a small GPT-2 checkpoint in the case's folder
        model = os.path.join(workdir, "model")
        made = run(exe, ["model", "synth", "--out", model, "--layers", "1", "--heads", "2", "--embd", "16", "--ctx", "32"])
        if made.returncode != 0:
            return [f"model synth failed: {made.stderr!r}"]
        args = [a.replace("{model}", model) for a in args]
        before = sorted(os.listdir(model))
    args = [a.replace("{work}", workdir) for a in args]
    out = os.path.join(workdir, name + ".json")
    if args[0] == "trace" and "--out" not in args:
        args = [*args, "--out", out]
    done = run(exe, args)
    stderr = done.stderr.decode("utf-8", "replace")
    problems = []
    if done.returncode != 2:
        problems.append(f"exit code {done.returncode}, expected 2")
    if done.stdout:
        problems.append(f"stdout not empty: {done.stdout[:200]!r}")
    lines = stderr.split("\n")
    if len(lines) != 2 or lines[1] != "" or not lines[0]:
        problems.append(f"stderr is not exactly one line: {stderr!r}")
    if not stderr.startswith("attnscope: "):
        problems.append(f"stderr does not start with 'attnscope: ': {stderr!r}")
    for phrase in phrases:
        if phrase not in stderr:
            problems.append(f"stderr does not mention {phrase!r}: {stderr!r}")
    for leftover in (out, out + ".tmp", os.path.join(workdir, "r.png"), os.path.join(workdir, "model", "ft.safetensors")):
        if os.path.exists(leftover):
            problems.append(f"left a file behind: {leftover}")
    if uses_model and sorted(os.listdir(os.path.join(workdir, "model"))) != before:
        problems.append(f"the model folder changed: {before} -> {sorted(os.listdir(os.path.join(workdir, 'model')))}")
    if "--out" in args and "model" in args and os.path.exists(args[args.index("--out") + 1]):
        problems.append(f"left a model folder behind: {args[args.index('--out') + 1]}")
    return problems


def check_help(exe, workdir):
    problems = []
    done = run(exe, ["--help"])
    text = done.stdout.decode()
    if done.returncode != 0:
        problems.append(f"--help exited {done.returncode}")
    for word in ("trace", "tokenize"):
        if word not in text:
            problems.append(f"--help does not list {word}")
    done = run(exe, ["trace", "--help"])
    text = done.stdout.decode()
    if done.returncode != 0:
        problems.append(f"trace --help exited {done.returncode}")
    for flag in ("--text", "--d-model", "--heads", "--pe", "--mask", "--temperature", "--set", "--out"):
        if flag not in text:
            problems.append(f"trace --help does not list {flag}")
    return problems


def check_good_trace(exe, workdir):
    problems = []
    out = os.path.join(workdir, "good.json")
    done = run(exe, ["trace", "--text", "the cat sat on the mat", "--d-model", "16", "--heads", "4",
                     "--pe", "rope", "--mask", "causal", "--out", out])
    if done.returncode != 0:
        return [f"exit code {done.returncode}: {done.stderr!r}"]
    if done.stderr:
        problems.append(f"stderr not empty: {done.stderr!r}")
    with open(out, encoding="utf-8") as f:
        trace = json.load(f)
    if trace.get("schema") != "attnscope.trace/2":
        problems.append(f"schema is {trace.get('schema')!r}")
    if trace["tokens"] != ["the", "cat", "sat", "on", "the", "mat"]:
        problems.append(f"tokens are {trace['tokens']}")
    cfg = trace["config"]
    expected = {"d_model": 16, "heads": 4, "d_head": 4, "pe": "rope", "mask": "causal", "n": 6, "m": 6}
    for key, value in expected.items():
        if cfg.get(key) != value:
            problems.append(f"config.{key} is {cfg.get(key)!r}, expected {value!r}")
    if cfg.get("layers") != 1:
        problems.append(f"config.layers is {cfg.get('layers')!r}, expected 1")
    layers = trace.get("layers") or []
    if [layer.get("index") for layer in layers] != [0]:
        problems.append(f"layer indices {[layer.get('index') for layer in layers]}, expected [0]")
    elif len(layers[0].get("heads", [])) != 4:
        problems.append(f"{len(layers[0].get('heads', []))} heads in layers[0]")
    if os.path.exists(out + ".tmp"):
        problems.append("left the .tmp file behind")
    return problems


def check_trace_to_stdout(exe, workdir):
    done = run(exe, ["trace", "--text", "a b", "--d-model", "4", "--heads", "2", "--out", "-"])
    if done.returncode != 0:
        return [f"exit code {done.returncode}: {done.stderr!r}"]
    trace = json.loads(done.stdout)
    return [] if trace.get("schema") == "attnscope.trace/2" and trace["tokens"] == ["a", "b"] else [
        f"unexpected stdout: {done.stdout[:200]!r}"]


def check_tokenize(exe, workdir):
    done = run(exe, ["tokenize", "--text", "The cat didn't pay 3.14. The cat", "--bos"])
    if done.returncode != 0:
        return [f"exit code {done.returncode}: {done.stderr!r}"]
    got = json.loads(done.stdout)
    pieces = ["<bos>", "The", "cat", "didn't", "pay", "3.14", ".", "The", "cat"]
    ids = [0, 1, 2, 3, 4, 5, 6, 1, 2]  # a piece keeps the id of its first appearance
    problems = []
    if got.get("pieces") != pieces:
        problems.append(f"pieces {got.get('pieces')}, expected {pieces}")
    if got.get("ids") != ids:
        problems.append(f"ids {got.get('ids')}, expected {ids}")
    done = run(exe, ["tokenize", "--text", "自注意力机制让每个词关注序列中的其他词。"])
    if done.returncode != 0 or len(json.loads(done.stdout)["pieces"]) != 20:
        problems.append(f"Chinese sentence: {done.stdout!r} {done.stderr!r}")
    return problems


# Every variant parameter's option (written out here, not read from the table), on trace and bench.
TRACE_VARIANT_OPTIONS = ["--window", "--dilation", "--global", "--stride", "--summary", "--block", "--globals",
                         "--random-blocks", "--top-k", "--k", "--landmarks", "--pinv-iterations", "--features", "--rank"]
BENCH_VARIANT_OPTIONS = ["--window", "--bigbird-window", "--dilation", "--stride", "--block", "--globals",
                         "--random-blocks", "--k", "--landmarks", "--pinv-iterations", "--features"]


def check_variant_options(exe, workdir):
    problems = []
    for command, options in (("trace", TRACE_VARIANT_OPTIONS), ("bench", BENCH_VARIANT_OPTIONS)):
        done = run(exe, [command, "--help"])
        text = done.stdout.decode()
        for option in options:
            if f"  {option} " not in text:
                problems.append(f"{command} --help does not list {option}")
        if command == "trace" and "Variant (compared against exact attention)" not in text:
            problems.append("trace --help lost the group 'Variant (compared against exact attention)'")
    # Every option reaches the trace's variant_params, by its JSON key.
    values = {"window": 3, "dilation": 2, "global_tokens": [0, 2], "stride": 3, "summary": 2, "block": 3,
              "globals": 2, "random_blocks": 2, "top_k": 3, "k": 3, "landmarks": 3, "pinv_iterations": 5,
              "features": 8, "rank": 3}
    args = ["trace", "--text", "a b c d e f", "--d-model", "8", "--heads", "2", "--variant", "local", "--out", "-"]
    for key, value in values.items():
        option = "--global" if key == "global_tokens" else "--" + key.replace("_", "-")
        for v in value if isinstance(value, list) else [value]:
            args += [option, str(v)]
    done = run(exe, args)
    if done.returncode != 0:
        return problems + [f"trace with every variant option: exit {done.returncode}: {done.stderr!r}"]
    got = json.loads(done.stdout)["config"]["variant_params"]
    if got != values:
        problems.append(f"config.variant_params is {got}, expected {values}")
    # bench lists each timed variant's parameters; --window is local's, --bigbird-window bigbird's.
    done = run(exe, ["bench", "--variant", "local", "--variant", "bigbird", "--variant", "strided", "--n", "64",
                     "--heads", "1", "--d-head", "8", "--repeats", "1", "--threads", "1", "--window", "5",
                     "--bigbird-window", "2", "--block", "16", "--out", "-"])
    if done.returncode != 0:
        return problems + [f"bench: exit {done.returncode}: {done.stderr!r}"]
    params = {r["variant"]: r["params"] for r in json.loads(done.stdout)["rows"]}
    expected = {"local": {"window": 5, "dilation": 1},
                "bigbird": {"window": 2, "block": 16, "globals": 64, "random_blocks": 1},
                "strided": {"stride": 8}}  # 0: the power of two nearest sqrt(64)
    if params != expected:
        problems.append(f"bench rows' params are {params}, expected {expected}")
    return problems


GOOD = {"help": check_help, "variant-options": check_variant_options, "good-trace": check_good_trace, "trace-to-stdout": check_trace_to_stdout,
        "tokenize": check_tokenize}


def main():
    if sys.argv[1:] == ["--list"]:
        print(";".join(list(BAD_INPUT) + list(GOOD)), end="")
        return 0
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    exe, workdir, case = sys.argv[1:]
    names = list(BAD_INPUT) + list(GOOD) if case == "all" else [case]
    failed = 0
    for name in names:
        case_dir = os.path.join(workdir, name)
        shutil.rmtree(case_dir, ignore_errors=True)
        os.makedirs(case_dir)
        if name in BAD_INPUT:
            problems = check_bad_input(exe, case_dir, name)
        elif name in GOOD:
            problems = GOOD[name](exe, case_dir)
        else:
            print(f"unknown case {name!r}; cases: {', '.join(list(BAD_INPUT) + list(GOOD))}")
            return 2
        print(("ok   " if not problems else "FAIL ") + name)
        for p in problems:
            print("     " + p)
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
