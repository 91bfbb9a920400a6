// Tests engine/src/tokenizer.cpp: words, numbers, punctuation, CJK, special tokens, UTF-8.
#include "attnscope/tokenizer.hpp"

#include <string>
#include <vector>

#include "attnscope/error.hpp"
#include "../test_helpers.hpp"

using Tokens = std::vector<std::string>;

TEST_CASE("English with punctuation", "[tokenizer]") {
    REQUIRE(attnscope::tokenize("Hello, world! How are you?") ==
            Tokens{"Hello", ",", "world", "!", "How", "are", "you", "?"});
    REQUIRE(attnscope::tokenize("the cat sat on the mat") == Tokens{"the", "cat", "sat", "on", "the", "mat"});
    REQUIRE(attnscope::tokenize("(a) \"b\"; c.") == Tokens{"(", "a", ")", "\"", "b", "\"", ";", "c", "."});
}

TEST_CASE("contractions stay one token", "[tokenizer]") {
    REQUIRE(attnscope::tokenize("The animal didn't cross the street.") ==
            Tokens{"The", "animal", "didn't", "cross", "the", "street", "."});
    REQUIRE(attnscope::tokenize("it's we'll") == Tokens{"it's", "we'll"});
    // A typographic apostrophe (U+2019) inside a word also joins it.
    REQUIRE(attnscope::tokenize("don\xE2\x80\x99t") == Tokens{"don\xE2\x80\x99t"});
    // An apostrophe not followed by a letter is its own token.
    REQUIRE(attnscope::tokenize("dogs' bowl") == Tokens{"dogs", "'", "bowl"});
}

TEST_CASE("numbers keep their decimal point and thousands separator", "[tokenizer]") {
    REQUIRE(attnscope::tokenize("pi is 3.14.") == Tokens{"pi", "is", "3.14", "."});
    REQUIRE(attnscope::tokenize("1,000 cats") == Tokens{"1,000", "cats"});
    REQUIRE(attnscope::tokenize("gpt2 42") == Tokens{"gpt2", "42"});
}

TEST_CASE("every Chinese character is its own token", "[tokenizer][cjk]") {
    const Tokens tokens = attnscope::tokenize("自注意力机制让每个词关注序列中的其他词。");
    // 自 注 意 力 机 制 让 每 个 词 关 注 序 列 中 的 其 他 词 。 : 19 characters and the full stop
    REQUIRE(tokens.size() == 20);
    REQUIRE(tokens == Tokens{"自", "注", "意", "力", "机", "制", "让", "每", "个", "词",
                             "关", "注", "序", "列", "中", "的", "其", "他", "词", "。"});
    // Mixed with English, spaces or not.
    REQUIRE(attnscope::tokenize("GPU很快") == Tokens{"GPU", "很", "快"});
}

TEST_CASE("<bos> and <pad>", "[tokenizer][special]") {
    REQUIRE(attnscope::tokenize("a b", true) == Tokens{"<bos>", "a", "b"});
    REQUIRE(attnscope::tokenize("a b", false) == Tokens{"a", "b"});
    // Written in the text, they are single special tokens, not "<", "bos", ">".
    REQUIRE(attnscope::tokenize("<bos> a <pad><pad>") == Tokens{"<bos>", "a", "<pad>", "<pad>"});
    REQUIRE(attnscope::tokenize("<pad> a b") == Tokens{"<pad>", "a", "b"});
    // Not special when misspelled.
    REQUIRE(attnscope::tokenize("<pa>") == Tokens{"<", "pa", ">"});
}

TEST_CASE("empty and whitespace-only text gives no tokens", "[tokenizer][edge]") {
    REQUIRE(attnscope::tokenize("").empty());
    REQUIRE(attnscope::tokenize("   \t\n  ").empty());
    REQUIRE(attnscope::tokenize("\xE3\x80\x80").empty());  // U+3000 ideographic space
    // With <bos> requested, that one token remains.
    REQUIRE(attnscope::tokenize("  ", true) == Tokens{"<bos>"});
}

TEST_CASE("invalid UTF-8 throws attnscope::Error", "[tokenizer][error]") {
    REQUIRE_ERROR(attnscope::tokenize("ab\xFF"), "not valid UTF-8");
    REQUIRE_ERROR(attnscope::tokenize("ab\xFF"), "byte 2");                 // names the offset
    REQUIRE_ERROR(attnscope::tokenize("\xE4\xB8"), "truncated");            // half of 中
    REQUIRE_ERROR(attnscope::tokenize("\xC0\xAF"), "overlong");             // '/' in two bytes
    REQUIRE_ERROR(attnscope::tokenize("\xED\xA0\x80"), "invalid code point"); // a UTF-16 surrogate
    REQUIRE_ERROR(attnscope::tokenize("a\x80"), "not valid UTF-8");         // lone continuation byte
}

TEST_CASE("decode_utf8 gives code points", "[tokenizer]") {
    // a = U+0061, é = U+00E9 (C3 A9), 中 = U+4E2D (E4 B8 AD), 😀 = U+1F600 (F0 9F 98 80)
    REQUIRE(attnscope::decode_utf8("a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80") ==
            std::vector<char32_t>{0x61, 0xE9, 0x4E2D, 0x1F600});
}
