// Tests engine/src/json_input.cpp and its use by every loader: hostile JSON (nested 200,000 deep,
// numbers out of range, huge values) gives a one-line message, never a crash.
#include "attnscope/json_input.hpp"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "attnscope/bpe.hpp"
#include "attnscope/gpt2.hpp"
#include "attnscope/safetensors.hpp"
#include "../test_helpers.hpp"

namespace fs = std::filesystem;
using attnscope::parse_json;
using attnscope::quote_json;

namespace {

std::string nested(const std::string& open, const std::string& inner, const std::string& close, int depth) {
    std::string s;
    for (int i = 0; i < depth; ++i) s += open;
    s += inner;
    for (int i = 0; i < depth; ++i) s += close;
    return s;
}

}  // namespace

TEST_CASE("parse_json bounds the nesting and turns every JSON failure into a message", "[json]") {
    REQUIRE(parse_json(nested("[", "1", "]", 64), "x", "fix it").is_array());  // 64 levels: fine
    REQUIRE_ERROR(parse_json(nested("[", "1", "]", 65), "x.json", "fix it"), "x.json nests deeper than 64 levels: fix it");
    REQUIRE_ERROR(parse_json(nested("[", "", "]", 200000), "deep", "fix it"), "nests deeper than 64 levels");
    REQUIRE_ERROR(parse_json(nested("{\"a\":", "1", "}", 200000), "deep", "fix it"), "nests deeper");
    REQUIRE_ERROR(parse_json(nested("[", "", "", 200000), "open", "fix it"), "nests deeper");  // never closed
    REQUIRE_ERROR(parse_json("{\"x\": 1e400}", "big.json", "fix it"), "big.json is not valid JSON");
    REQUIRE_ERROR(parse_json("{", "cut.json", "fix it"), "cut.json is not valid JSON");
    // The top-level keys are seen as they are read, duplicates included; nested keys are not.
    std::string keys;
    const nlohmann::json j = parse_json(R"({"a": 1, "b": {"c": 2}, "a": 3})", "x", "", [&](const std::string& k) { keys += k; });
    REQUIRE(keys == "aba");
    REQUIRE(j["a"] == 3);
    REQUIRE(j["b"]["c"] == 2);
    // Linear: 100,000 small objects in one (the parser callback this replaced scanned the parent at
    // every object's end: 40,000 took 16 s). Not timed here; a quadratic parse would take minutes.
    std::string many = "{";
    for (int i = 0; i < 100000; ++i) many += (i ? ",\"t" : "\"t") + std::to_string(i) + "\":{\"shape\":[0]}";
    REQUIRE(parse_json(many + "}", "many", "").size() == 100000);
}

TEST_CASE("quote_json keeps messages short and whole", "[json]") {
    REQUIRE(quote_json(nlohmann::json("gpt2")) == "\"gpt2\"");
    const std::string q = quote_json(nlohmann::json(std::string(100000, 'x')));
    REQUIRE(q.size() <= 80);
    REQUIRE(q.substr(q.size() - 3) == "...");
    const std::string cjk = quote_json(nlohmann::json(std::string(60, 'a') + "猫猫猫猫猫猫猫猫猫猫"));
    REQUIRE_NOTHROW(nlohmann::json::parse(cjk.substr(0, cjk.size() - 3) + "\""));  // cut on a character boundary
    REQUIRE(cjk.find("猫") != std::string::npos);
    // A terminal escape sequence is quoted escaped, never raw.
    const std::string esc = quote_json(nlohmann::json("\x1b[2J" + std::string(100, 'z')));
    REQUIRE(esc.find('\x1b') == std::string::npos);
    REQUIRE(esc.find("\\u001b") != std::string::npos);
    for (int pad = 60; pad < 80; ++pad) {  // wherever the cut falls, no half escape is left
        const std::string q = quote_json(nlohmann::json(std::string(pad, 'a') + std::string(10, '\x01')));
        REQUIRE_NOTHROW(nlohmann::json::parse(q.substr(0, q.size() - 3) + "\""));
    }
}

TEST_CASE("every loader refuses deep or out-of-range JSON with its own message", "[json]") {
    const test::TempFolder folder("json-loaders");
    const fs::path& dir = folder.path;
    auto write = [&](const std::string& name, const std::string& text) {
        std::ofstream(dir / name, std::ios::binary) << text;
        return (dir / name).string();
    };
    // config.json: a deep model_type, then a number out of range, then a folder where the file belongs.
    write("config.json", "{\"model_type\": " + nested("[", "1", "]", 200000) + "}");
    REQUIRE_ERROR(attnscope::load_gpt2(dir.string()), "nests deeper than 64 levels");
    write("config.json", R"({"n_layer": 1e400})");
    REQUIRE_ERROR(attnscope::load_gpt2(dir.string()), "is not valid JSON");
    fs::remove(dir / "config.json");
    fs::create_directories(dir / "config.json");
    REQUIRE_ERROR(attnscope::load_gpt2(dir.string()), "it is not a file");
    fs::remove_all(dir / "config.json");
    // A model_type that is not gpt2 is quoted, cut short.
    write("config.json", "{\"model_type\": \"" + std::string(5000, 'q') + "\"}");
    try {
        attnscope::load_gpt2(dir.string());
        FAIL("a non-GPT-2 model_type loaded");
    } catch (const attnscope::Error& e) {
        REQUIRE(std::string(e.what()).size() < 400);
    }
    // vocab.json nested deep.
    REQUIRE_ERROR(attnscope::BpeTokenizer::from_strings("{\"a\": " + nested("[", "0", "]", 100000) + "}", "#version: 0.2\n"),
                  "nests deeper");
    // A safetensors header with a deep value.
    const std::string header = "{\"w\": " + nested("[", "0", "]", 100000) + "}";
    std::string file(8, '\0');
    for (int i = 0; i < 8; ++i) file[i] = static_cast<char>((header.size() >> (8 * i)) & 0xFF);
    file += header;
    REQUIRE_ERROR(attnscope::SafetensorsFile::parse(reinterpret_cast<const std::uint8_t*>(file.data()), file.size(), "deep.safetensors"),
                  "nests deeper");
}
