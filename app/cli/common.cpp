#include "cli/common.hpp"

#include <iostream>

#include "attnscope/export.hpp"

namespace attnscope::cli {

void add_input_options(CLI::App& cmd, InputOptions& o) {
    Inputs& in = o.defaults;
    cmd.add_option("--text", in.text, "The sentence (UTF-8)")->capture_default_str();
    cmd.add_option("--cross-text", in.cross_text, "Keys and values come from this text (cross-attention)");
    cmd.add_option("--d-model", in.d_model, "Model width")->capture_default_str();
    cmd.add_option("--heads", in.heads, "Number of heads; must divide d-model")->capture_default_str();
    cmd.add_option("--seed", in.seed, "Seed for embeddings and weights")->capture_default_str();
    cmd.add_option("--pe", o.pe, "Positional encoding: none|sinusoidal|learned|rope|alibi|relative")->capture_default_str();
    cmd.add_option("--mask", o.mask, "Mask: none|causal|padding|causal+padding")->capture_default_str();
    cmd.add_option("--temperature", in.temperature, "Divides the logits")->capture_default_str();
    cmd.add_flag("--bos", in.bos, "Prepend a <bos> token");
    cmd.add_option("--pad-to", in.pad_to, "Append <pad> tokens to the key/value text up to this length");
    cmd.add_option("--backend", o.backend,
                   "cpu|gpu: gpu runs OpenGL 4.3 compute shaders (falls back to cpu with a warning without them)")
        ->capture_default_str();
    cmd.add_option("--set", o.edits, "Override one cell, e.g. --set 'W_Q[2,3]=0.5' (repeatable)");
    cmd.add_option("--model", in.model, "A GPT-2 model folder (config.json, model.safetensors, vocab.json + merges.txt); "
                   "traces every layer and head instead of the synthetic engine");
    cmd.add_option("--layer", o.layer, "With --model: write only this layer (trace) or open on it (render); -1: all");
    VariantParams& v = in.variant;
    const char* group = "Variant (compared against exact attention)";
    cmd.add_option("--variant", o.variant,
                   "dense|local|strided|fixed|bigbird|topk|linformer|nystrom|performer|svd")->capture_default_str()->group(group);
    cmd.add_option("--window", v.window, "local: keys on each side; bigbird: blocks on each side")->group(group);
    cmd.add_option("--dilation", v.dilation, "local: keep every n-th key in the window")->group(group);
    cmd.add_option("--global", v.global_tokens, "local: a global token position (repeatable)")->group(group);
    cmd.add_option("--stride", v.stride, "strided: stride l; fixed: block length l")->group(group);
    cmd.add_option("--summary", v.summary, "fixed: summary positions c per block")->group(group);
    cmd.add_option("--block", v.block, "bigbird: block size b")->group(group);
    cmd.add_option("--globals", v.globals, "bigbird: the first g tokens are global")->group(group);
    cmd.add_option("--random-blocks", v.random_blocks, "bigbird: random key blocks per query block")->group(group);
    cmd.add_option("--top-k", v.top_k, "topk: keys kept per query")->group(group);
    cmd.add_option("--k", v.k, "linformer: projected length k")->group(group);
    cmd.add_option("--landmarks", v.landmarks, "nystrom: landmarks m")->group(group);
    cmd.add_option("--pinv-iterations", v.pinv_iterations, "nystrom: pseudo-inverse iterations")->group(group);
    cmd.add_option("--features", v.features, "performer: random features m")->group(group);
    cmd.add_option("--rank", v.rank, "svd: rank r")->group(group);
}

Inputs to_inputs(const InputOptions& o) {
    Inputs in = o.defaults;
    in.pe = parse_positional(o.pe);
    in.mask = parse_mask(o.mask);
    in.variant.kind = parse_variant(o.variant);
    in.backend = parse_backend(o.backend);
    for (const std::string& spec : o.edits) in.edits.push_back(parse_edit(spec));
    validate(in);
    return in;
}

void write_output(const std::string& path, const std::string& text) {
    if (path == "-")
        std::cout << text;
    else
        write_file_atomic(path, text);
}

}  // namespace attnscope::cli
