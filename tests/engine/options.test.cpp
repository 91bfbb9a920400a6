// Tests engine/src/options.cpp: the spellings of positional encodings and masks.
#include "attnscope/options.hpp"
#include "attnscope/inputs.hpp"

#include <string>

#include "attnscope/error.hpp"
#include "../test_helpers.hpp"

using attnscope::Mask;
using attnscope::Positional;

TEST_CASE("positional encodings have their documented names", "[options]") {
    REQUIRE(std::string(attnscope::name(Positional::None)) == "none");
    REQUIRE(std::string(attnscope::name(Positional::Sinusoidal)) == "sinusoidal");
    REQUIRE(std::string(attnscope::name(Positional::Learned)) == "learned");
    REQUIRE(std::string(attnscope::name(Positional::Rope)) == "rope");
    REQUIRE(std::string(attnscope::name(Positional::Alibi)) == "alibi");
    REQUIRE(std::string(attnscope::name(Positional::Relative)) == "relative");
    for (Positional pe : attnscope::kAllPositional) REQUIRE(attnscope::parse_positional(attnscope::name(pe)) == pe);
}

TEST_CASE("masks have their documented names", "[options]") {
    REQUIRE(std::string(attnscope::name(Mask::None)) == "none");
    REQUIRE(std::string(attnscope::name(Mask::Causal)) == "causal");
    REQUIRE(std::string(attnscope::name(Mask::Padding)) == "padding");
    REQUIRE(std::string(attnscope::name(Mask::CausalPadding)) == "causal+padding");
    for (Mask m : attnscope::kAllMasks) REQUIRE(attnscope::parse_mask(attnscope::name(m)) == m);
    REQUIRE(attnscope::is_causal(Mask::Causal));
    REQUIRE(attnscope::is_causal(Mask::CausalPadding));
    REQUIRE_FALSE(attnscope::is_causal(Mask::Padding));
    REQUIRE(attnscope::masks_padding(Mask::Padding));
    REQUIRE(attnscope::masks_padding(Mask::CausalPadding));
    REQUIRE_FALSE(attnscope::masks_padding(Mask::Causal));
}

TEST_CASE("unknown names are errors that list the valid ones", "[options][error]") {
    REQUIRE_ERROR(attnscope::parse_positional("fourier"), "unknown positional encoding 'fourier'");
    REQUIRE_ERROR(attnscope::parse_positional("fourier"), "none, sinusoidal, learned, rope, alibi, relative");
    REQUIRE_ERROR(attnscope::parse_positional("RoPE"), "unknown positional encoding");  // case matters
    REQUIRE_ERROR(attnscope::parse_mask("future"), "unknown mask 'future'");
    REQUIRE_ERROR(attnscope::parse_mask("future"), "none, causal, padding, causal+padding");
    REQUIRE_ERROR(attnscope::parse_mask(""), "unknown mask");
}

TEST_CASE("backends: cpu and gpu by name, unknown ones listed", "[options][error]") {
    using attnscope::Backend;
    REQUIRE(attnscope::parse_backend("cpu") == Backend::Cpu);
    REQUIRE(attnscope::parse_backend("gpu") == Backend::Gpu);
    REQUIRE(std::string(attnscope::name(Backend::Gpu)) == "gpu");
    REQUIRE(attnscope::Inputs{}.backend == Backend::Cpu);  // the CPU unless asked
    REQUIRE_ERROR(attnscope::parse_backend("tpu"), "unknown backend 'tpu': choose one of cpu, gpu");
}
