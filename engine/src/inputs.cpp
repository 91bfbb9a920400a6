#include "attnscope/inputs.hpp"

#include <cmath>
#include <cstdlib>
#include <regex>
#include <sstream>

#include "attnscope/error.hpp"
#include "attnscope/json_input.hpp"

namespace attnscope {
namespace {

inline constexpr double kMaxEditMagnitude = 1e6;  // keeps every product finite in double

std::string divisor_hint(int d_model, int heads) {
    int below = heads, above = heads;
    while (below > 1 && d_model % below != 0) --below;
    while (above < d_model && d_model % above != 0) ++above;
    if (below == above || above > d_model) return "try " + std::to_string(below);
    if (below < 1) return "try " + std::to_string(above);
    return "try " + std::to_string(below) + " or " + std::to_string(above);
}

void require_range(const std::string& what, int value, int lo, int hi, const char* example) {
    if (value < lo || value > hi)
        throw Error(what + " (" + std::to_string(value) + ") must be between " + std::to_string(lo) + " and " +
                    std::to_string(hi) + ": try " + example);
}

// Parameter ranges (variant_param_table(), sequence-relative bounds at kMaxTokens tokens), and the
// combinations that make no sense (never silently computed otherwise).
void validate_variant(const Inputs& in) {
    const VariantParams& v = in.variant;
    const char* variant = name(v.kind);
    // Bounds that follow another parameter (summary <= stride, bigbird's window in blocks) after it.
    for (const bool dependent : {false, true})
        for (const VariantParamInfo* p : variant_params_of(v.kind)) {
            if (dependent != (p->hi == UpperBound::Param || p->hi == UpperBound::KeyUnits)) continue;
            const int hi = p->upper(v, kMaxTokens, kMaxTokens);
            if (p->field) require_range(p->label, v.*p->field, p->lo, hi, p->example);
            if (p->list)
                for (int x : v.*p->list) require_range(p->label, x, p->lo, hi, p->example);
        }
    const bool mixes_keys = v.kind == VariantKind::Linformer || v.kind == VariantKind::Nystrom;
    if (mixes_keys && in.mask != Mask::None)
        throw Error(std::string(variant) + " mixes all keys together before the softmax, so it cannot hide single keys (mask " +
                    name(in.mask) + "): use mask none, or the performer, which supports masks");
    const bool kernel = mixes_keys || v.kind == VariantKind::Performer;
    if (kernel && (in.pe == Positional::Alibi || in.pe == Positional::Relative))
        throw Error(std::string(variant) + " approximates softmax(Q K^T) and has no place for a per-pair bias (pe " +
                    name(in.pe) + "): use pe none, sinusoidal, learned or rope");
}

}  // namespace

void validate(const Inputs& in) {
    if (in.d_model < 1 || in.d_model > kMaxDModel)
        throw Error("d_model (" + std::to_string(in.d_model) + ") must be between 1 and " +
                    std::to_string(kMaxDModel) + ": try 64");
    if (in.heads < 1 || in.heads > in.d_model)
        throw Error("heads (" + std::to_string(in.heads) + ") must be between 1 and d_model (" +
                    std::to_string(in.d_model) + "): try 4");
    if (in.d_model % in.heads != 0)
        throw Error("heads (" + std::to_string(in.heads) + ") must divide d_model (" + std::to_string(in.d_model) +
                    "): " + divisor_hint(in.d_model, in.heads));
    if (!std::isfinite(in.temperature) || in.temperature < kMinTemperature) {
        std::ostringstream t;  // not std::to_string, which writes 1e-9 as 0.000000
        t << in.temperature;
        throw Error("temperature (" + t.str() + ") must be a number of at least 0.001: try 1");
    }
    if (in.pad_to < 0 || in.pad_to > kMaxTokens)
        throw Error("pad-to (" + std::to_string(in.pad_to) + ") must be between 0 and " + std::to_string(kMaxTokens));
    const bool cross = !in.cross_text.empty();
    if (cross && is_causal(in.mask))
        throw Error("a causal mask needs self-attention (queries and keys from one text): clear the cross-attention "
                    "text or use mask none or padding");
    if (cross && (in.pe == Positional::Alibi || in.pe == Positional::Relative))
        throw Error(std::string(name(in.pe)) + " biases attention by the distance between positions of one text; "
                    "cross-attention has two: use pe none, sinusoidal, learned or rope");
    validate_variant(in);
    for (const Edit& e : in.edits) check_edit_value(e);
}

void check_edit_value(const Edit& e) {
    if (!std::isfinite(e.value))
        throw Error("edit " + e.matrix + "[" + std::to_string(e.row) + "," + std::to_string(e.col) + "] = " +
                    std::to_string(e.value) + " is not a finite number: enter a finite value");
    if (std::abs(e.value) > kMaxEditMagnitude)
        throw Error("edit " + e.matrix + "[" + std::to_string(e.row) + "," + std::to_string(e.col) +
                    "] is too large: keep edited values within +-1e6");
}

Edit parse_edit(const std::string& spec) {
    static const std::regex pattern(R"(\s*([A-Za-z_]+)\s*\[\s*(\d+)\s*,\s*(\d+)\s*\]\s*=\s*(\S+)\s*)");
    std::smatch m;
    if (!std::regex_match(spec, m, pattern))
        throw Error("cannot read edit " + quote_json(spec) + ": write it as MATRIX[ROW,COL]=VALUE, e.g. W_Q[2,3]=0.5");
    Edit e;
    e.matrix = m[1];
    const std::string value = m[4];
    try {
        e.row = std::stoi(m[2]);
        e.col = std::stoi(m[3]);
    } catch (const std::exception&) {
        throw Error("cannot read edit " + quote_json(spec) + ": row and column must be whole numbers below 2147483648");
    }
    // strtod: a value too small for a double (1e-320) reads as its nearest double, as a typed 0 would;
    // one too large is refused by check_edit_value as not finite.
    char* end = nullptr;
    e.value = std::strtod(value.c_str(), &end);
    if (value.empty() || end != value.c_str() + value.size())
        throw Error("cannot read edit " + quote_json(spec) + ": the value must be a number, e.g. W_Q[2,3]=0.5");
    return e;
}

}  // namespace attnscope
