#include "attnscope/options.hpp"

#include "attnscope/error.hpp"

namespace attnscope {
namespace {

template <typename Enum, size_t N>
Enum parse_named(std::string_view s, const std::array<Enum, N>& all, const char* what) {
    std::string valid;
    for (Enum e : all) {
        if (s == name(e)) return e;
        valid += (valid.empty() ? "" : ", ") + std::string(name(e));
    }
    throw Error("unknown " + std::string(what) + " '" + std::string(s) + "': choose one of " + valid);
}

}  // namespace

const char* name(Positional pe) {
    switch (pe) {
        case Positional::None: return "none";
        case Positional::Sinusoidal: return "sinusoidal";
        case Positional::Learned: return "learned";
        case Positional::Rope: return "rope";
        case Positional::Alibi: return "alibi";
        case Positional::Relative: return "relative";
    }
    return "?";
}

const char* name(Mask mask) {
    switch (mask) {
        case Mask::None: return "none";
        case Mask::Causal: return "causal";
        case Mask::Padding: return "padding";
        case Mask::CausalPadding: return "causal+padding";
    }
    return "?";
}

const char* name(Backend backend) { return backend == Backend::Gpu ? "gpu" : "cpu"; }

Positional parse_positional(std::string_view s) { return parse_named(s, kAllPositional, "positional encoding"); }
Mask parse_mask(std::string_view s) { return parse_named(s, kAllMasks, "mask"); }
Backend parse_backend(std::string_view s) { return parse_named(s, kAllBackends, "backend"); }

}  // namespace attnscope
