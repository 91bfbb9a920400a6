#!/usr/bin/env python3
"""Writes the fuzz targets' seeds into tests/fuzz/seeds/<target>/ (run from anywhere; idempotent).

Small valid examples (from assets/ and the README's formats) and one file per known hostile input,
named for what it is: JSON nested 200,000 deep, numbers out of range, huge ids and indices, deep
and long expressions, terminal escape sequences, odd command-line sizes. The files are committed;
rerun this after changing it. libFuzzer never writes here (scripts/fuzz_campaign.sh and the ctests
give a scratch corpus folder first)."""
import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
SEEDS = ROOT / "tests" / "fuzz" / "seeds"
FINDINGS_DIR = ROOT / "tests" / "fuzz" / "findings"
DEEP = 200_000  # nesting levels of the deep-JSON seeds (each about 400 KB)


def deep(levels=DEEP):
    return "[" * levels + "0" + "]" * levels


# Hostile inputs that still fail (a crash, a sanitizer report or a broken property of the target): they
# go to tests/fuzz/findings/<target>/ (not committed), so that the fuzz ctests stay green, until the
# code is fixed; then drop the name here, rerun this script and commit the seed.
FINDINGS = set()  # none now: every one found so far is fixed and its input is a seed


def write(target, name, data):
    path = (FINDINGS_DIR if (target, name) in FINDINGS else SEEDS) / target / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))


def dumps(value):
    return json.dumps(value, ensure_ascii=False, indent=1) + "\n"


# inputs_to_json(Inputs{}) (the trace's "config" without the run's own fields)
DEFAULT_INPUTS = {
    "backend": "cpu", "bos": False, "cross_text": "", "d_model": 64, "edits": [], "heads": 4, "mask": "none",
    "model": "", "pad_to": 0, "pe": "sinusoidal", "seed": 7, "temperature": 1.0,
    "text": "The animal didn't cross the street because it was too tired.", "variant": "dense",
    "variant_params": {"block": 2, "dilation": 1, "features": 16, "global_tokens": [], "globals": 1, "k": 4,
                       "landmarks": 4, "pinv_iterations": 6, "random_blocks": 1, "rank": 4, "stride": 4,
                       "summary": 1, "top_k": 4, "window": 2}}
OTHER_INPUTS = dict(DEFAULT_INPUTS, text="自然语言处理很有趣", cross_text="the cat sat on the mat", d_model=32,
                    heads=2, pe="rope", mask="causal", temperature=0.5, bos=True, pad_to=12, variant="local",
                    edits=[{"matrix": "W_Q", "row": 2, "col": 3, "value": 0.5}])


def session(inputs, view, schema="attnscope.session/1"):
    return {"schema": schema, "inputs": inputs, "view": view}


def session_seeds():
    write("session", "valid_default.json", dumps(session(DEFAULT_INPUTS, {"head": 0, "query": 3, "step": "softmax"})))
    write("session", "valid_cross_rope_edit.json", dumps(session(OTHER_INPUTS, {"head": 1, "query": 0, "step": "mlp"})))
    write("session", "valid_partial_inputs.json",
          dumps(session({"text": "a b c", "heads": 2, "d_model": 8}, {"head": 1, "query": 2, "step": "tokenize"})))
    # Hostile: the deep one is written by hand (json.dumps would recurse).
    write("session", "deep_view_head_200000.json",
          '{"schema": "attnscope.session/1", "inputs": {}, "view": {"head": ' + deep() + ', "query": 0, "step": "mask"}}')
    write("session", "number_1e400.json",
          '{"schema": "attnscope.session/1", "inputs": {"temperature": 1e400}, "view": {"head": 0, "query": 0, "step": "mask"}}')
    write("session", "view_head_4294967296.json",
          dumps(session({}, {"head": 4294967296, "query": 0, "step": "mask"})))
    write("session", "view_query_1e300.json", dumps(session({}, {"head": 0, "query": 1e300, "step": "mask"})))
    write("session", "seed_1e300.json", dumps(session({"seed": 1e300}, {"head": 0, "query": 0, "step": "mask"})))
    write("session", "edit_row_4294967296.json",
          dumps(session({"edits": [{"matrix": "W_Q", "row": 4294967296, "col": 0, "value": 1}]},
                        {"head": 0, "query": 0, "step": "mask"})))
    write("session", "step_terminal_escape.json",
          dumps(session({}, {"head": 0, "query": 0, "step": "\x1b]0;pwned\x07\x1b[2J"})))


def lesson_seeds():
    for path in sorted((ROOT / "assets" / "lessons").glob("*.json")):
        write("lesson", "valid_" + path.name, path.read_bytes())
    minimal = {"schema": "attnscope.lesson/1", "title": "T", "steps": [{"title": "S", "text": "n = {{n}}"}]}
    write("lesson", "valid_minimal.json", dumps(minimal))

    def with_step(**step):
        return dumps(dict(minimal, steps=[dict(minimal["steps"][0], **step)]))

    write("lesson", "deep_step_title_200000.json",
          '{"schema": "attnscope.lesson/1", "title": "T", "steps": [{"title": ' + deep() + ', "text": "x"}]}')
    write("lesson", "number_1e400.json",
          '{"schema": "attnscope.lesson/1", "title": "T", "inputs": {"temperature": 1e400}, '
          '"steps": [{"title": "S", "text": "x"}]}')
    write("lesson", "view_head_4294967296.json", with_step(view={"head": 4294967296}))
    write("lesson", "view_head_1e300.json", with_step(view={"head": 1e300}))
    write("lesson", "view_query_negative.json", with_step(view={"query": -1}))
    write("lesson", "check_parens_10k.json", with_step(task={"prompt": "p", "check": "(" * 10_000 + "1" + ")" * 10_000}))
    write("lesson", "text_placeholder_unary_minus_20k.json", with_step(text="{{" + "-" * 20_000 + "1}}"))
    write("lesson", "edit_string_terminal_escape.json", with_step(inputs={"edits": ["W_Q[0,0]=\x1b[2J"]}))
    write("lesson", "set_equal_unknown.json", with_step(set_equal=["W_K", "\x1b[2J"]))


def expression_seeds():
    found = []
    for path in sorted((ROOT / "assets" / "lessons").glob("*.json")):
        lesson = json.loads(path.read_text(encoding="utf-8"))
        for step in lesson["steps"]:
            for text in [step.get("text", ""), step.get("task", {}).get("prompt", ""), step.get("task", {}).get("hint", "")]:
                found += [m.split(":")[0] for m in re.findall(r"\{\{(.*?)\}\}", text)]
            check = step.get("task", {}).get("check")
            if isinstance(check, str):
                found.append(check)
    found += ["1 + 2 * 3 - 4 / 2", "!(n > 3) || d_model == 64 && 'a' != 'b'", "heads[1].scores[2][4]",
              "entropy(head, query)", "column(W_Q, 0)[1]", "symmetric(head0.scores)", "upper_sum(head.attention)",
              "argmax(head0.attention[-1])", "key_token[-1]", "exp(log(2))", "abs(-3) + sqrt(16)",
              "norm(Q[0]) + rms(K) + mean(V[1]) + sum(output) + rows(concat) + cols(W_O)", "alibi_slopes[0][0]",
              "dot(head.Q[query], head.K[1])", "min(1, 2) + max(head.attention[query])", "asymmetry(head.scores)",
              "text", "pe + mask + variant"]
    unique = list(dict.fromkeys(found))
    for i, expr in enumerate(unique):
        write("lesson_expression", f"valid_{i:02d}.txt", expr)
    write("lesson_expression", "valid_template.txt", "Query {{token[query]}} gives key 1 {{head.scores[query][1]:3}} "
          "({{head.attention[query][1]:%1}}), n = {{n}}.")
    # Hostile
    write("lesson_expression", "parens_10k.txt", "(" * 10_000 + "1" + ")" * 10_000)
    write("lesson_expression", "unary_minus_20k.txt", "-" * 20_000 + "1")
    write("lesson_expression", "unary_not_20k.txt", "!" * 20_000 + "1")
    write("lesson_expression", "sum_20k_terms.txt", "+".join(["1"] * 20_000))
    write("lesson_expression", "index_suffix_200k.txt", "W_Q" + "[0]" * 200_000)
    write("lesson_expression", "div_0_0.txt", "0/0")
    write("lesson_expression", "div_1_0.txt", "1/0")
    write("lesson_expression", "function_nested_10k.txt", "abs(" * 10_000 + "1" + ")" * 10_000)
    write("lesson_expression", "template_unclosed.txt", "{{n")
    write("lesson_expression", "index_4294967296.txt", "token[4294967296]")
    write("lesson_expression", "number_1e400.txt", "1e400")


def config_seeds():
    write("config", "valid_default_model.json", (ROOT / "assets" / "models" / "default" / "config.json").read_bytes())
    write("config", "valid_gpt2_small.json", dumps({
        "activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "layer_norm_epsilon": 1e-05,
        "model_type": "gpt2", "n_ctx": 1024, "n_embd": 768, "n_head": 12, "n_layer": 12, "n_positions": 1024,
        "vocab_size": 50257}))
    write("config", "valid_minimal.json", dumps({"n_layer": 1, "n_head": 1, "n_embd": 1, "n_ctx": 1, "vocab_size": 1}))
    base = '{"n_head": 4, "n_embd": 128, "n_positions": 64, "vocab_size": 2304, '
    write("config", "deep_n_layer_200000.json", base + '"n_layer": ' + deep() + "}")
    write("config", "n_layer_1e400.json", base + '"n_layer": 1e400}')
    write("config", "n_layer_4294967296.json", base + '"n_layer": 4294967296}')
    write("config", "layer_norm_epsilon_1e300.json", base + '"n_layer": 2, "layer_norm_epsilon": 1e300}')
    write("config", "layer_norm_epsilon_1e-50.json", base + '"n_layer": 2, "layer_norm_epsilon": 1e-50}')
    write("config", "too_many_parameters.json",
          dumps({"n_layer": 256, "n_head": 16, "n_embd": 16384, "n_positions": 65536, "vocab_size": 4194304}))
    write("config", "model_type_terminal_escape.json", base + '"n_layer": 2, "model_type": "\\u001b]0;pwned\\u0007"}')


def byte_vocab():
    """GPT-2's bytes_to_unicode: every byte's symbol as id 0..255."""
    printable = [b for b in range(256) if ord("!") <= b <= ord("~") or 0xA1 <= b <= 0xAC or 0xAE <= b <= 0xFF]
    mapping, extra = {}, 0
    for b in range(256):
        if b in printable:
            mapping[b] = chr(b)
        else:
            mapping[b] = chr(256 + extra)
            extra += 1
    return {mapping[b]: b for b in range(256)}, mapping


def bpe_seeds():
    default = ROOT / "assets" / "models" / "default"
    write("bpe_files", "valid_default_model.bin", (default / "vocab.json").read_bytes() + b"\0" + (default / "merges.txt").read_bytes())
    vocab, mapping = byte_vocab()
    space = mapping[ord(" ")]
    merged = dict(vocab)
    merges = [(space, "t"), ("h", "e"), (space + "t", "he"), ("i", "n"), ("in", "g")]
    for a, b in merges:
        merged.setdefault(a + b, len(merged))
    write("bpe_files", "valid_bytes_and_merges.bin",
          json.dumps(merged, ensure_ascii=False) + "\0#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges))
    write("bpe_files", "valid_bytes_only_no_merges.bin", json.dumps(vocab, ensure_ascii=False))
    write("bpe_files", "vocab_id_16777215.bin", json.dumps(dict(vocab, x_far=16777215), ensure_ascii=False) + "\0")
    write("bpe_files", "vocab_id_16777216.bin", json.dumps(dict(vocab, x_far=16777216), ensure_ascii=False) + "\0")
    write("bpe_files", "deep_vocab_id_200000.bin", '{"a": ' + deep() + "}\0")
    write("bpe_files", "vocab_id_1e400.bin", '{"a": 1e400}\0')
    write("bpe_files", "merges_terminal_escapes.bin",
          json.dumps(merged, ensure_ascii=False) + "\0#version: 0.2\n\x1b]0;pwned\x07 \x1b[2J\x1b[31m\n")
    write("bpe_files", "merges_crlf_and_blank_lines.bin",
          json.dumps(merged, ensure_ascii=False) + "\0#version: 0.2\r\n\r\n" + "".join(f"{a} {b}\r\n" for a, b in merges))


def inputs_seeds():
    write("inputs", "valid_default_inputs.json", dumps(DEFAULT_INPUTS))
    write("inputs", "valid_other_inputs.json", dumps(OTHER_INPUTS))
    write("inputs", "valid_matrix.json", "[[1, 2.5, -3], [null, 0, 1e-300]]")
    write("inputs", "valid_edit.txt", "W_Q[2,3]=0.5")
    write("inputs", "valid_edit_spaces.txt", "  K [ 0 , 1 ] = -1e-3  ")
    write("inputs", "edit_row_99999999999.txt", "W_Q[99999999999,0]=1")
    write("inputs", "edit_value_1e400.txt", "W_Q[0,0]=1e400")
    write("inputs", "edit_value_nan.txt", "W_Q[0,0]=nan")
    write("inputs", "edit_value_hex.txt", "W_Q[0,0]=0x1p-1074")
    write("inputs", "number_1e400.json", '{"temperature": 1e400}')
    write("inputs", "seed_1e300.json", '{"seed": 1e300}')
    write("inputs", "seed_negative.json", '{"seed": -1}')
    write("inputs", "d_model_4294967296.json", '{"d_model": 4294967296}')
    write("inputs", "matrix_ragged.json", "[[1, 2], [3]]")


def cli_seeds():
    for name, text in [("n_4096", "4096"), ("n_list", "256,1024,4096"), ("n_range", "256..1048576"), ("n_4k", "4k"),
                       ("n_300..1000", "300..1000"), ("n_0", "0"), ("n_65536..256", "65536..256"),
                       ("n_1..huge", "1..99999999999999999999"), ("n_1..1073741824", "1..1073741824"),
                       ("n_empty_items", ",,4,"), ("n_minus", "-4"),
                       ("size_1600x960", "1600x960"), ("size_0x0", "0x0"), ("size_99999x99999", "99999x99999"),
                       ("size_1600x", "1600x"), ("size_100000x1", "100000x1"), ("size_unicode_digits", "１６００x９６０"),
                       ("empty", "")]:
        write("cli_syntax", name + ".txt", text)


def safetensors_file(header, data=b""):
    """8 bytes of header length (little-endian), the header, the data."""
    return len(header).to_bytes(8, "little") + header + data


def safetensors_seeds():
    tensor = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
    data = b"\x00\x00\x80\x3f" * 2  # two 1.0s
    for length in (640, 896, 1152, 1408):  # lengths whose bytes were taken for a pickle's opcodes
        header = json.dumps({"w": tensor}).encode()
        write("safetensors", f"header_length_{length}.safetensors", safetensors_file(header.ljust(length), data))
    write("safetensors", "duplicate_keys.safetensors",
          safetensors_file(b'{"w": %s, "w": %s}' % (json.dumps(tensor).encode(), json.dumps(tensor).encode()), data))
    write("safetensors", "header_length_2_40.safetensors", (1 << 40).to_bytes(8, "little") + b"{}")
    write("safetensors", "header_deep.safetensors", safetensors_file(deep(20_000).encode()))
    write("safetensors", "pickle.safetensors", b"\x80\x02}q\x00(X\x01\x00\x00\x00wq\x01K\x01u.")


if __name__ == "__main__":
    safetensors_seeds()
    session_seeds()
    lesson_seeds()
    expression_seeds()
    config_seeds()
    bpe_seeds()
    inputs_seeds()
    cli_seeds()
    total = sum(p.stat().st_size for p in SEEDS.rglob("*") if p.is_file())
    print(f"seeds: {sum(1 for p in SEEDS.rglob('*') if p.is_file())} files, {total / 1e6:.2f} MB")
