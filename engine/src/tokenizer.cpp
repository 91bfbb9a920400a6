#include "attnscope/tokenizer.hpp"

#include "attnscope/error.hpp"

namespace attnscope {
namespace {

enum class CharClass { Space, Letter, Digit, Single };

bool in(char32_t c, char32_t lo, char32_t hi) { return c >= lo && c <= hi; }

// Han ideographs, kana and CJK/fullwidth punctuation are each a token of their own:
// Chinese and Japanese do not separate words with spaces. Hangul is written with
// spaces between words, so it is treated as letters.
bool is_cjk_single(char32_t c) {
    return in(c, 0x4E00, 0x9FFF) || in(c, 0x3400, 0x4DBF) || in(c, 0xF900, 0xFAFF) ||
           in(c, 0x20000, 0x3134F) || in(c, 0x3040, 0x30FF) || in(c, 0x3001, 0x303F) ||
           in(c, 0xFF01, 0xFF0F) || in(c, 0xFF1A, 0xFF20) || in(c, 0xFF3B, 0xFF40) ||
           in(c, 0xFF5B, 0xFF65);
}

bool is_symbol_single(char32_t c) {  // arrows, math, dingbats, emoji
    return in(c, 0x2000, 0x2BFF) || in(c, 0x1F000, 0x1FAFF);
}

CharClass classify(char32_t c) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == 0x00A0 ||
        c == 0x3000 || in(c, 0x2000, 0x200B) || c < 0x20 || c == 0x7F)
        return CharClass::Space;
    if (in(c, '0', '9') || in(c, 0xFF10, 0xFF19)) return CharClass::Digit;
    if (c < 0x80) return (in(c, 'a', 'z') || in(c, 'A', 'Z') || c == '_') ? CharClass::Letter : CharClass::Single;
    if (is_cjk_single(c) || is_symbol_single(c)) return CharClass::Single;
    if (in(c, 0x80, 0xBF) || c == 0xD7 || c == 0xF7) return CharClass::Single;  // Latin-1 punctuation
    return CharClass::Letter;
}


bool is_apostrophe(char32_t c) { return c == '\'' || c == 0x2019; }

// The special token written at cps[i], if any.
const char* special_at(const std::vector<char32_t>& cps, size_t i) {
    for (const char* special : {kBosToken, kPadToken}) {
        size_t k = 0;
        while (special[k] && i + k < cps.size() && cps[i + k] == static_cast<char32_t>(special[k])) ++k;
        if (!special[k]) return special;
    }
    return nullptr;
}

}  // namespace

void append_utf8(std::string& out, char32_t c) {
    if (c < 0x80) {
        out += static_cast<char>(c);
    } else if (c < 0x800) {
        out += static_cast<char>(0xC0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out += static_cast<char>(0xE0 | (c >> 12));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (c >> 18));
        out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    }
}

std::vector<char32_t> decode_utf8(std::string_view text) {
    std::vector<char32_t> out;
    out.reserve(text.size());
    size_t i = 0;
    auto fail = [&](const char* what) {
        throw Error("the text is not valid UTF-8 (" + std::string(what) + " at byte " + std::to_string(i) +
                    "): save or paste it as UTF-8");
    };
    while (i < text.size()) {
        const auto b0 = static_cast<unsigned char>(text[i]);
        int len = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
        if (len == 0) fail("invalid lead byte");
        if (i + len > text.size()) fail("truncated sequence");
        char32_t c = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
        for (int k = 1; k < len; ++k) {
            const auto b = static_cast<unsigned char>(text[i + k]);
            if ((b & 0xC0) != 0x80) fail("invalid continuation byte");
            c = (c << 6) | (b & 0x3F);
        }
        const char32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
        if (c < min_for_len[len]) fail("overlong encoding");
        if (c > 0x10FFFF || in(c, 0xD800, 0xDFFF)) fail("invalid code point");
        out.push_back(c);
        i += len;
    }
    return out;
}

std::vector<std::string> tokenize(std::string_view text, bool prepend_bos) {
    const std::vector<char32_t> cps = decode_utf8(text);
    std::vector<std::string> tokens;
    if (prepend_bos) tokens.emplace_back(kBosToken);
    size_t i = 0;
    while (i < cps.size()) {
        if (const char* special = special_at(cps, i)) {
            tokens.emplace_back(special);
            i += std::char_traits<char>::length(special);
            continue;
        }
        const CharClass cls = classify(cps[i]);
        if (cls == CharClass::Space) { ++i; continue; }
        std::string token;
        append_utf8(token, cps[i++]);
        if (cls == CharClass::Letter) {
            // A word: letters, with apostrophes inside ("didn't") and digits after ("gpt2").
            while (i < cps.size()) {
                const CharClass next = classify(cps[i]);
                const bool inner_apostrophe = is_apostrophe(cps[i]) && i + 1 < cps.size() &&
                                              classify(cps[i + 1]) == CharClass::Letter;
                if (next != CharClass::Letter && next != CharClass::Digit && !inner_apostrophe) break;
                append_utf8(token, cps[i++]);
            }
        } else if (cls == CharClass::Digit) {
            // A number: digits, with '.' or ',' between digits ("3.14", "1,000").
            while (i < cps.size()) {
                const bool separator = (cps[i] == '.' || cps[i] == ',') && i + 1 < cps.size() &&
                                       classify(cps[i + 1]) == CharClass::Digit;
                if (classify(cps[i]) != CharClass::Digit && !separator) break;
                append_utf8(token, cps[i++]);
            }
        }
        tokens.push_back(std::move(token));
    }
    return tokens;
}

}  // namespace attnscope
