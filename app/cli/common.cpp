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
    cmd.add_option("--set", o.edits, "Override one cell, e.g. --set 'W_Q[2,3]=0.5' (repeatable)");
}

Inputs to_inputs(const InputOptions& o) {
    Inputs in = o.defaults;
    in.pe = parse_positional(o.pe);
    in.mask = parse_mask(o.mask);
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
