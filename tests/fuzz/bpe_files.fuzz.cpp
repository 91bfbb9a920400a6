// libFuzzer target: any bytes as a GPT-2 tokenizer's two files (engine/src/bpe.cpp:
// BpeTokenizer::from_strings), split at the first NUL byte into vocab.json and merges.txt (no NUL: all
// vocab.json, empty merges.txt). Loading must either throw attnscope::Error or give a tokenizer that
// encodes any text (the vocabulary has every byte symbol) so that decode(encode(x)) == x, whose pieces
// and labels are valid UTF-8 (they go into JSON), and whose decode refuses ids out of range with Error.
// An Error's message may hold no control character but newline and tab (check_message.hpp: a terminal
// escape from a hostile file must come out quoted). Anything else (a crash, a sanitizer report, another
// exception type) is a bug.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attnscope/bpe.hpp"
#include "attnscope/error.hpp"
#include "check_message.hpp"

namespace {

void check_round_trip(const attnscope::BpeTokenizer& t, const std::string& text) {
    const std::vector<int> ids = t.encode(text);
    for (int id : ids)
        if (id < 0 || id >= t.vocab_size()) __builtin_trap();
    if (t.decode(ids) != text) __builtin_trap();
    for (const std::string& label : t.labels(ids)) (void)nlohmann::json(label).dump();  // type_error unless UTF-8
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string input(reinterpret_cast<const char*>(data), size);
    const std::size_t nul = input.find('\0');
    const std::string vocab = input.substr(0, nul);
    const std::string merges = nul == std::string::npos ? std::string() : input.substr(nul + 1);
    try {
        const attnscope::BpeTokenizer t = attnscope::BpeTokenizer::from_strings(vocab, merges);
        check_round_trip(t, "Hello world, it's 2024: the cat sat on the mat. \xE8\x87\xAA\xE7\x84\xB6 \t\n  ok");
        check_round_trip(t, merges.substr(0, 4096));  // any bytes, and the merged symbols themselves
        for (int id = 0; id < std::min(t.vocab_size(), 4096); ++id) (void)nlohmann::json(t.piece(id)).dump();
        try {
            (void)t.decode({t.vocab_size()});
            __builtin_trap();  // an id past the vocabulary must be refused
        } catch (const attnscope::Error& e) {
            check_message(e);
        }
    } catch (const attnscope::Error& e) {
        check_message(e);
    }
    return 0;
}
