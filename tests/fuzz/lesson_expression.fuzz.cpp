// libFuzzer target: any bytes as the lessons' expression language (lessons/src/expression.cpp:
// Expression::parse; evaluate.cpp and functions.cpp: text, number, holds) and as step text with
// {{placeholders}} (template.cpp: parse_template, render_template), evaluated against one fixed trace
// (the default inputs, run once) with head 1 and query 2 selected. Each must either throw
// attnscope::Error or give: number() never NaN, holds() true exactly for a finite non-zero number, the
// same source text back, and for valid UTF-8 source, results and rendered templates in valid UTF-8
// (text goes to ImGui and JSON; an error message must not cut a character in two). An Error's message
// may hold no control character but newline and tab (check_message.hpp: a terminal escape from a
// hostile file must come out quoted). Anything else (a crash such as a stack overflow on deep nesting,
// a sanitizer report, another exception type, a hang) is a bug.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "attnscope/error.hpp"
#include "check_message.hpp"
#include "attnscope/lessons/expression.hpp"
#include "attnscope/run.hpp"

namespace {

// Throws nlohmann's type_error unless `text` is valid UTF-8.
void require_utf8(const std::string& text) { (void)nlohmann::json(text).dump(); }

bool is_utf8(std::string_view text) {
    try {
        require_utf8(std::string(text));
        return true;
    } catch (const nlohmann::json::type_error&) {
        return false;
    }
}

const attnscope::Trace& trace() {
    static const attnscope::Trace t = attnscope::run(attnscope::Inputs{});
    return t;
}

// `utf8`: the source is valid UTF-8 (as every lesson file's text is), so the results must be too.
void check_expression(std::string_view source, bool utf8, const attnscope::LessonScope& scope) {
    attnscope::Expression e;
    try {
        e = attnscope::Expression::parse(source);
    } catch (const attnscope::Error& e) {
        check_message(e);
        return;
    }
    if (e.source() != source) __builtin_trap();
    try {
        const std::string text = e.text(scope);
        const std::string percent = e.text(scope, 3, true);
        if (utf8) require_utf8(text), require_utf8(percent);
    } catch (const attnscope::Error& e) {
        check_message(e);
    }
    double v = NAN;
    try {
        v = e.number(scope);
        if (std::isnan(v)) __builtin_trap();
    } catch (const attnscope::Error& e) {
        check_message(e);
    }
    try {
        const bool holds = e.holds(scope);
        if (!std::isfinite(v) || holds != (v != 0.0)) __builtin_trap();
    } catch (const attnscope::Error& e) {
        check_message(e);
        if (!std::isnan(v) && std::isfinite(v)) __builtin_trap();  // a number that reads is a check that reads
    }
}

void check_template(std::string_view text, bool utf8, const attnscope::LessonScope& scope) {
    attnscope::TextTemplate t;
    try {
        t = attnscope::parse_template(text);
    } catch (const attnscope::Error& e) {
        check_message(e);
        return;
    }
    for (const attnscope::RenderedPiece& p : attnscope::render_template(t, scope))
        if (utf8) require_utf8(p.text);
    const std::string plain = attnscope::render_plain(t, scope);
    if (utf8) require_utf8(plain);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view source(reinterpret_cast<const char*>(data), size);
    const attnscope::LessonScope scope{trace(), 1, 2};
    const bool utf8 = is_utf8(source);
    check_expression(source, utf8, scope);
    check_template(source, utf8, scope);
    return 0;
}
