#pragma once
// JSON from files a user hands us (config.json, vocab.json, safetensors headers, sessions, lessons):
// parsed with bounded nesting, so that no file can exhaust the stack (nlohmann's dump() and our own
// walks recurse), and quoted in messages at a bounded length.
#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace attnscope {

inline constexpr int kMaxJsonDepth = 64;  // far beyond any real config, header, session or lesson

// Parses `text`; throws Error "<label> is not valid JSON (<why>): <advice>" for bad syntax or a number
// out of range (1e400), and "<label> nests deeper than 64 levels: <advice>" for deeper nesting.
// Linear in the text's size. `top_level_key` (optional) sees each key of the top-level object as it
// is read, duplicates included (the returned object keeps only the last).
nlohmann::json parse_json(std::string_view text, const std::string& label, const std::string& advice,
                          const std::function<void(const std::string&)>& top_level_key = nullptr);

// A value for a message: compact JSON, cut to about 80 characters with "...".
std::string quote_json(const nlohmann::json& value);

}  // namespace attnscope
