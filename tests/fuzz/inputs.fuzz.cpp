// libFuzzer target: any bytes as the trace inputs a user hands us (engine/src/trace_json.cpp:
// inputs_from_json, as in a session or a lesson; matrix_from_json) and as one --set edit
// (engine/src/inputs.cpp: parse_edit, "W_Q[2,3]=0.5"). Each must either throw attnscope::Error or give
// a value that round-trips: inputs through inputs_to_json and its text, a matrix through
// matrix_to_json, an edit through the --set text it stands for. validate() on parsed inputs may only
// throw Error. An Error's message may hold no control character but newline and tab (check_message.hpp:
// a terminal escape from a hostile file must come out quoted). Anything else (a crash, a sanitizer
// report, another exception type) is a bug.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "attnscope/error.hpp"
#include "check_message.hpp"
#include "attnscope/inputs.hpp"
#include "attnscope/json_input.hpp"
#include "attnscope/trace_json.hpp"

namespace {

bool same_double(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b)); }

void check_inputs(const nlohmann::json& j) {
    attnscope::Inputs in;
    try {
        in = attnscope::inputs_from_json(j);
    } catch (const attnscope::Error& e) {
        check_message(e);
        return;
    }
    if (!(attnscope::inputs_from_json(attnscope::inputs_to_json(in)) == in)) __builtin_trap();
    const std::string saved = attnscope::inputs_to_json(in).dump();  // type_error unless the strings are UTF-8
    if (!(attnscope::inputs_from_json(attnscope::parse_json(saved, "saved inputs", "")) == in)) __builtin_trap();
    try {
        attnscope::validate(in);
    } catch (const attnscope::Error& e) {
        check_message(e);
    }
}

void check_matrix(const nlohmann::json& j) {
    attnscope::Matrix m;
    try {
        m = attnscope::matrix_from_json(j);
    } catch (const attnscope::Error& e) {
        check_message(e);
        return;
    }
    const attnscope::Matrix back = attnscope::matrix_from_json(attnscope::matrix_to_json(m));
    if (back.rows() != m.rows() || back.cols() != m.cols()) __builtin_trap();
    for (Eigen::Index i = 0; i < m.rows(); ++i)
        for (Eigen::Index k = 0; k < m.cols(); ++k)
            if (!same_double(back(i, k), m(i, k))) __builtin_trap();
}

void check_edit(const std::string& spec) {
    attnscope::Edit e;
    try {
        e = attnscope::parse_edit(spec);
    } catch (const attnscope::Error& e) {
        check_message(e);
        return;
    }
    if (e.matrix.empty() || e.row < 0 || e.col < 0) __builtin_trap();
    // std::stod refuses a subnormal's decimal spelling (ERANGE) though it may read one written in hex.
    if (std::fpclassify(e.value) == FP_SUBNORMAL) return;
    char value[64];
    std::snprintf(value, sizeof value, "%.17g", e.value);
    const attnscope::Edit back = attnscope::parse_edit(e.matrix + "[" + std::to_string(e.row) + "," + std::to_string(e.col) + "]=" + value);
    if (back.matrix != e.matrix || back.row != e.row || back.col != e.col || !same_double(back.value, e.value)) __builtin_trap();
    try {
        attnscope::check_edit_value(e);
    } catch (const attnscope::Error& e) {
        check_message(e);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    check_edit(text);
    nlohmann::json j;
    try {
        j = attnscope::parse_json(text, "fuzz input", "");
    } catch (const attnscope::Error& e) {
        check_message(e);
        return 0;
    }
    check_inputs(j);
    check_matrix(j);
    return 0;
}
