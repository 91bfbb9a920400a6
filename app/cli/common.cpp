#include "cli/common.hpp"

#include <iostream>

#include "attnscope/error.hpp"
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
    for (const VariantParamInfo& p : variant_param_table()) {  // every parameter of every variant
        const std::string help = std::string(p.help) + " (" + p.range_text() + ")";
        if (p.field)
            cmd.add_option(p.option(), v.*p.field, help)->capture_default_str()->group(group);
        else
            cmd.add_option(p.option(), v.*p.list, help)->group(group);
    }
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

void check_stdout() {
    std::cout.flush();
    if (!std::cout)
        throw attnscope::Error("cannot write to standard output (closed, or the disk behind it is full): give --out FILE instead");
}

void write_output(const std::string& path, const std::string& text) {
    if (path == "-") {
        std::cout << text;
        check_stdout();
    } else {
        write_file_atomic(path, text);
    }
}

}  // namespace attnscope::cli
