// libFuzzer target: any bytes as text for both tokenizers. GPT-2 BPE must accept every byte string
// (invalid UTF-8 included), its pre-tokenization must partition the input, decode(encode(x)) must
// give x back, and pieces must be valid UTF-8 (they go into JSON). The built-in tokenizer may only
// reject input with attnscope::Error.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "attnscope/bpe.hpp"
#include "attnscope/error.hpp"
#include "attnscope/tokenizer.hpp"

namespace {

std::string utf8(char32_t c) {
    std::string s;
    if (c < 0x80) {
        s += static_cast<char>(c);
    } else {
        s += static_cast<char>(0xC0 | (c >> 6));
        s += static_cast<char>(0x80 | (c & 0x3F));
    }
    return s;
}

// Every byte symbol plus a few merges, enough for merging to happen on common input.
const attnscope::BpeTokenizer& tokenizer() {
    static const attnscope::BpeTokenizer t = [] {
        nlohmann::json vocab = nlohmann::json::object();
        for (int b = 0; b < 256; ++b) vocab[utf8(attnscope::gpt2_byte_to_unicode(static_cast<std::uint8_t>(b)))] = b;
        const std::string g = utf8(attnscope::gpt2_byte_to_unicode(' '));
        const std::vector<std::pair<std::string, std::string>> merges = {
            {g, "t"}, {"h", "e"}, {g + "t", "he"}, {"i", "n"}, {"in", "g"}, {g, g}, {"'", "s"}, {"\xC3\xA4", "\xC2\xB8"}};
        std::string merges_txt = "#version: 0.2\n";
        for (const auto& [a, b] : merges) {
            if (!vocab.contains(a + b)) vocab[a + b] = static_cast<int>(vocab.size());
            merges_txt += a + " " + b + "\n";
        }
        return attnscope::BpeTokenizer::from_strings(vocab.dump(), merges_txt);
    }();
    return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);

    std::string joined;
    for (const std::string& piece : attnscope::gpt2_pretokenize(text)) {
        if (piece.empty()) __builtin_trap();
        joined += piece;
    }
    if (joined != text) __builtin_trap();

    const attnscope::BpeTokenizer& t = tokenizer();
    const std::vector<int> ids = t.encode(text);
    if (t.decode(ids) != text) __builtin_trap();
    for (int id : ids) (void)nlohmann::json(t.piece(id)).dump();  // throws (a crash here) unless valid UTF-8

    try {
        (void)attnscope::tokenize(text, true);
    } catch (const attnscope::Error&) {
    }
    return 0;
}
