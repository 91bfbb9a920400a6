// Lesson text: literal pieces and {{expr:format}} placeholders, rendered with numbers formatted for
// reading.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "attnscope/error.hpp"
#include "attnscope/json_input.hpp"
#include "attnscope/lessons/expression.hpp"
#include "expression_tree.hpp"

namespace attnscope {
namespace lessons_detail {
namespace {

std::string group_thousands(long long v) {
    std::string digits = std::to_string(std::llabs(v)), out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return (v < 0 ? "-" : "") + out;
}

}  // namespace

std::string format_number(double v, int decimals, bool percent) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v < 0 ? "-∞" : "∞";
    char buf[64];
    if (percent) {
        std::snprintf(buf, sizeof buf, "%.*f%%", std::max(decimals, 0), 100 * v);
        return buf;
    }
    if (decimals >= 0) {
        std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
        return buf;
    }
    const double a = std::abs(v);
    if (v == std::round(v) && a < 1e15) return a >= 10000 ? group_thousands(static_cast<long long>(v)) : std::to_string(static_cast<long long>(v));
    if (a >= 1000 && a < 1e15) return group_thousands(std::llround(v));
    if (a >= 100) std::snprintf(buf, sizeof buf, "%.1f", v);
    else if (a >= 1e-3) std::snprintf(buf, sizeof buf, "%.3g", v);
    else std::snprintf(buf, sizeof buf, "%.2e", v);
    return buf;
}

}  // namespace lessons_detail

TextTemplate parse_template(std::string_view text) {
    TextTemplate out;
    size_t pos = 0;
    while (pos < text.size()) {
        const size_t open = text.find("{{", pos);
        if (open == std::string_view::npos) {
            out.push_back({std::string(text.substr(pos)), std::nullopt});
            break;
        }
        if (open > pos) out.push_back({std::string(text.substr(pos, open - pos)), std::nullopt});
        const size_t close = text.find("}}", open + 2);
        if (close == std::string_view::npos)
            throw Error("the placeholder at character " + std::to_string(open + 1) + " has no closing }}");
        std::string_view inner = text.substr(open + 2, close - open - 2);
        TextPiece piece;
        if (const size_t colon = inner.find(':'); colon != std::string_view::npos) {
            std::string_view format = inner.substr(colon + 1);
            inner = inner.substr(0, colon);
            piece.percent = !format.empty() && format[0] == '%';
            if (piece.percent) format.remove_prefix(1);
            if (format.empty() || format.size() > 2 ||
                !std::all_of(format.begin(), format.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
                throw Error("placeholder " + quote_json("{{" + std::string(text.substr(open + 2, close - open - 2)) + "}}") +
                            ": write the format as :N (N decimals) or :%N (a percentage)");
            piece.decimals = std::stoi(std::string(format));
        }
        try {
            piece.expr = Expression::parse(inner);
        } catch (const Error& e) {
            throw Error("placeholder " + quote_json("{{" + std::string(inner) + "}}") + ": " + e.what());
        }
        out.push_back(std::move(piece));
        pos = close + 2;
    }
    return out;
}

std::vector<RenderedPiece> render_template(const TextTemplate& t, const LessonScope& scope) {
    std::vector<RenderedPiece> out;
    for (const TextPiece& p : t) {
        if (!p.expr) {
            out.push_back({p.literal, false, false});
            continue;
        }
        try {
            out.push_back({p.expr->text(scope, p.decimals, p.percent), true, false});
        } catch (const Error& e) {
            out.push_back({"[{{" + p.expr->source() + "}}: " + e.what() + "]", true, true});
        }
    }
    return out;
}

std::string render_plain(const TextTemplate& t, const LessonScope& scope) {
    std::string out;
    for (const RenderedPiece& p : render_template(t, scope)) out += p.text;
    return out;
}

}  // namespace attnscope
