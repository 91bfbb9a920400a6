// Tests engine/src/inputs.cpp: validate() and parse_edit().
#include "attnscope/inputs.hpp"

#include <cmath>
#include <limits>

#include "attnscope/error.hpp"
#include "../test_helpers.hpp"

using attnscope::Inputs;

TEST_CASE("the default inputs are valid", "[inputs]") {
    REQUIRE_NOTHROW(attnscope::validate(Inputs{}));
}

TEST_CASE("heads must divide d_model, with a hint", "[inputs][error]") {
    Inputs in;
    in.d_model = 64;
    in.heads = 5;
    // the divisors of 64 around 5 are 4 and 8
    REQUIRE_ERROR(attnscope::validate(in), "heads (5) must divide d_model (64): try 4 or 8");
    in.heads = 12;  // divisors of 64 around 12: 8 and 16
    REQUIRE_ERROR(attnscope::validate(in), "try 8 or 16");
    in.d_model = 48;
    in.heads = 5;  // divisors of 48 around 5: 4 and 6
    REQUIRE_ERROR(attnscope::validate(in), "try 4 or 6");
    in.heads = 0;
    REQUIRE_ERROR(attnscope::validate(in), "heads (0) must be between 1 and d_model");
    in.heads = 96;
    REQUIRE_ERROR(attnscope::validate(in), "heads (96) must be between 1 and d_model (48)");
}

TEST_CASE("d_model and temperature must be in range", "[inputs][error]") {
    Inputs in;
    in.d_model = 0;
    REQUIRE_ERROR(attnscope::validate(in), "d_model (0) must be between 1 and");
    in.d_model = attnscope::kMaxDModel + 1;
    REQUIRE_ERROR(attnscope::validate(in), "d_model");
    in = Inputs{};
    in.temperature = 0;
    REQUIRE_ERROR(attnscope::validate(in), "temperature (0) must be a number of at least 0.001");
    in.temperature = -1;
    REQUIRE_ERROR(attnscope::validate(in), "temperature (-1)");
    in.temperature = std::numeric_limits<double>::quiet_NaN();
    REQUIRE_ERROR(attnscope::validate(in), "temperature");
    in.temperature = std::numeric_limits<double>::infinity();
    REQUIRE_ERROR(attnscope::validate(in), "temperature");
    // A positive but tiny temperature overflows scores / T to inf (and the softmax to NaN):
    // the message shows the value as written, not as 0.000000.
    in.temperature = 1e-310;
    REQUIRE_ERROR(attnscope::validate(in), "temperature (1e-310) must be a number of at least 0.001: try 1");
    in.temperature = 0.000999;
    REQUIRE_ERROR(attnscope::validate(in), "at least 0.001");
    in.temperature = attnscope::kMinTemperature;
    REQUIRE_NOTHROW(attnscope::validate(in));
    in.temperature = 1e6;
    REQUIRE_NOTHROW(attnscope::validate(in));
    in = Inputs{};
    in.pad_to = attnscope::kMaxTokens + 1;
    REQUIRE_ERROR(attnscope::validate(in), "pad-to");
}

TEST_CASE("NaN and Inf edits are rejected", "[inputs][error]") {
    Inputs in;
    in.edits = {{"W_Q", 0, 0, std::numeric_limits<double>::quiet_NaN()}};
    REQUIRE_ERROR(attnscope::validate(in), "is not a finite number");
    in.edits = {{"input", 1, 2, std::numeric_limits<double>::infinity()}};
    REQUIRE_ERROR(attnscope::validate(in), "edit input[1,2]");
    in.edits = {{"W_Q", 0, 0, -std::numeric_limits<double>::infinity()}};
    REQUIRE_ERROR(attnscope::validate(in), "not a finite number");
    in.edits = {{"W_Q", 0, 0, 1e7}};
    REQUIRE_ERROR(attnscope::validate(in), "too large");
    in.edits = {{"W_Q", 0, 0, 1e6}};
    REQUIRE_NOTHROW(attnscope::validate(in));
}

TEST_CASE("cross-attention rules out causal masks and distance biases", "[inputs][error]") {
    Inputs in;
    in.cross_text = "le chat";
    in.mask = attnscope::Mask::Causal;
    REQUIRE_ERROR(attnscope::validate(in), "a causal mask needs self-attention");
    in.mask = attnscope::Mask::CausalPadding;
    REQUIRE_ERROR(attnscope::validate(in), "causal");
    in.mask = attnscope::Mask::Padding;
    REQUIRE_NOTHROW(attnscope::validate(in));
    in.pe = attnscope::Positional::Alibi;
    REQUIRE_ERROR(attnscope::validate(in), "cross-attention has two");
    in.pe = attnscope::Positional::Relative;
    REQUIRE_ERROR(attnscope::validate(in), "relative");
    in.pe = attnscope::Positional::Rope;
    REQUIRE_NOTHROW(attnscope::validate(in));
}

TEST_CASE("parse_edit reads the --set syntax MATRIX(ROW,COL)=VALUE with square brackets", "[inputs]") {
    REQUIRE(attnscope::parse_edit("W_Q[2,3]=0.5") == attnscope::Edit{"W_Q", 2, 3, 0.5});
    REQUIRE(attnscope::parse_edit(" embeddings [ 0 , 10 ] = -1e3 ") == attnscope::Edit{"embeddings", 0, 10, -1000.0});
    const attnscope::Edit nan = attnscope::parse_edit("K[1,1]=nan");
    REQUIRE(std::isnan(nan.value));  // parsed; validate() rejects it
    REQUIRE_ERROR(attnscope::parse_edit("W_Q[2]=1"), "write it as MATRIX[ROW,COL]=VALUE");
    REQUIRE_ERROR(attnscope::parse_edit("W_Q[-1,2]=1"), "MATRIX[ROW,COL]=VALUE");
    REQUIRE_ERROR(attnscope::parse_edit("W_Q[1,2]=abc"), "the value must be a number");
    REQUIRE_ERROR(attnscope::parse_edit("W_Q[1,2]=1.5x"), "the value must be a number");
    REQUIRE_ERROR(attnscope::parse_edit("W_Q[99999999999,2]=1"), "must be whole numbers below 2147483648");
    // A value below the smallest double is read as the nearest double ("cannot read edit" before).
    REQUIRE(std::abs(attnscope::parse_edit("W_Q[0,0]=1e-320").value) < 1e-300);
    REQUIRE(std::isinf(attnscope::parse_edit("W_Q[0,0]=1e999").value));  // validate() rejects it
}
