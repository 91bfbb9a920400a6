#pragma once
// The built-in tokenizer: words, numbers and punctuation marks are tokens;
// every CJK character is a token of its own; whitespace separates and is dropped.
// "<bos>" and "<pad>" written in the text are special tokens.
#include <string>
#include <string_view>
#include <vector>

namespace attnscope {

inline constexpr const char* kBosToken = "<bos>";
inline constexpr const char* kPadToken = "<pad>";

// Throws Error on invalid UTF-8 (naming the byte offset).
std::vector<std::string> tokenize(std::string_view text, bool prepend_bos = false);

// Code points of a valid UTF-8 string; throws Error on invalid UTF-8.
std::vector<char32_t> decode_utf8(std::string_view text);

// Appends the UTF-8 encoding of code point C to OUT.
void append_utf8(std::string& out, char32_t c);

}  // namespace attnscope
