#include "cli/common.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <iostream>

#include "attnscope/error.hpp"
#include "attnscope/export.hpp"
#include "attnscope/json_input.hpp"

namespace attnscope::cli {

namespace {

// "" when `s` is a plain decimal number of the kind CLI11 names `type` (INT, UINT, FLOAT), else why not.
std::string decimal_problem(const std::string& s, const std::string& type) {
    const char* first = s.data();
    const char* last = s.data() + s.size();
    const bool leading_zero = s.size() > 1 && s[0] == '0' && std::isdigit(static_cast<unsigned char>(s[1]));
    if (type == "UINT" || type == "INT") {
        std::int64_t i = 0;
        std::uint64_t u = 0;
        const auto r = type == "UINT" ? std::from_chars(first, last, u) : std::from_chars(first, last, i);
        if (r.ec == std::errc::result_out_of_range)
            return s + " is out of range" + (type == "UINT" ? " (0 to 18446744073709551615)" : "");
        if (s.empty() || r.ec != std::errc() || r.ptr != last || leading_zero || s.rfind("-0", 0) == 0)
            return (s.empty() ? std::string("an empty value") : quote_json(s)) + " is not a whole decimal number" +
                   (type == "UINT" ? " >= 0" : "") + ", e.g. 16";
        return "";
    }
    double d = 0;
    const auto r = std::from_chars(first, last, d);
    if (r.ec == std::errc::result_out_of_range) return s + " is out of range";
    if (s.empty() || r.ec != std::errc() || r.ptr != last || !std::isfinite(d) || leading_zero)
        return (s.empty() ? std::string("an empty value") : quote_json(s)) + " is not a finite decimal number, e.g. 0.5";
    return "";
}

}  // namespace

void require_decimal_numbers(CLI::App& app) {
    for (CLI::Option* option : app.get_options()) {
        const std::string type = option->get_type_name();
        if (type != "INT" && type != "UINT" && type != "FLOAT") continue;
        option->check(CLI::Validator([type](std::string& s) { return decimal_problem(s, type); }, "", "decimal"));
    }
    for (CLI::App* sub : app.get_subcommands({})) require_decimal_numbers(*sub);
}

void add_input_options(CLI::App& cmd, InputOptions& o) {
    Inputs& in = o.defaults;
    cmd.add_option("--text", in.text, "The sentence (UTF-8)")->capture_default_str();
    cmd.add_option("--cross-text", in.cross_text, "Keys and values come from this text (cross-attention)");
    const std::string sizes = "the model's config.json sets the width and the heads (n_embd, n_head)";
    o.synthetic_only = {
        {cmd.add_option("--d-model", in.d_model, "Model width")->capture_default_str(), sizes},
        {cmd.add_option("--heads", in.heads, "Number of heads; must divide d-model")->capture_default_str(), sizes},
        {cmd.add_option("--seed", in.seed, "Seed for embeddings and weights")->capture_default_str(),
         "a model's weights are loaded from its folder, not drawn from a seed"},
        {cmd.add_option("--pe", o.pe, "Positional encoding: none|sinusoidal|learned|rope|alibi|relative")->capture_default_str(),
         "GPT-2 has its own learned positions"},
        {cmd.add_option("--mask", o.mask, "Mask: none|causal|padding|causal+padding")->capture_default_str(),
         "GPT-2 always uses the causal mask"},
        {cmd.add_option("--temperature", in.temperature, "Divides the logits")->capture_default_str(),
         "a model's attention has no temperature (the logits are divided by sqrt(d_head) only)"},
        {cmd.add_flag("--bos", in.bos, "Prepend a <bos> token"), "the model's tokenizer makes the tokens"},
        {cmd.add_option("--pad-to", in.pad_to, "Append <pad> tokens to the key/value text up to this length"),
         "the model's tokenizer makes the tokens"}};
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
        CLI::Option* option = p.field ? cmd.add_option(p.option(), v.*p.field, help)->capture_default_str()
                                      : cmd.add_option(p.option(), v.*p.list, help);
        option->group(group);
        o.synthetic_only.push_back({option, "attention variants apply to the synthetic engine only"});
    }
}

Inputs to_inputs(const InputOptions& o) {
    Inputs in = o.defaults;
    if (!in.model.empty())
        for (const auto& [option, reason] : o.synthetic_only)
            if (option->count() > 0)
                throw Error(option->get_name() + " does not apply with --model: " + reason + "; leave it out");
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
