// Byte-level BPE training (see bpe_train.hpp).
#include "attnscope/bpe_train.hpp"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "attnscope/bpe.hpp"
#include "attnscope/error.hpp"
#include "attnscope/export.hpp"

namespace attnscope {
namespace {

// GPT-2's files spell each byte as a printable code point (so that no token contains a space).
std::string byte_mapped(const std::string& bytes) {
    std::string s;
    for (unsigned char b : bytes) s += gpt2_byte_symbol(b);
    return s;
}

std::uint64_t pair_key(int a, int b) { return (static_cast<std::uint64_t>(a) << 32) | static_cast<std::uint32_t>(b); }

struct Word {
    std::vector<int> symbols;
    long count = 0;
};

void count_pairs(std::unordered_map<std::uint64_t, long>& pairs, const Word& w, long sign) {
    for (std::size_t i = 0; i + 1 < w.symbols.size(); ++i) pairs[pair_key(w.symbols[i], w.symbols[i + 1])] += sign * w.count;
}

}  // namespace

BpeVocabulary train_bpe(const std::string& text, int merges) {
    if (merges < 0) throw Error("merges (" + std::to_string(merges) + ") must be 0 or more");
    std::map<std::string, long> pieces;  // ordered: the same text gives the same ids everywhere
    for (const std::string& piece : gpt2_pretokenize(text)) ++pieces[piece];
    std::vector<Word> words;
    for (const auto& [piece, count] : pieces) {
        Word w;
        for (unsigned char b : piece) w.symbols.push_back(b);
        w.count = count;
        words.push_back(std::move(w));
    }
    BpeVocabulary vocab;
    std::unordered_map<std::string, int> ids;
    for (int b = 0; b < 256; ++b) {
        vocab.tokens.push_back(std::string(1, static_cast<char>(b)));
        ids[vocab.tokens.back()] = b;
    }
    std::unordered_map<std::uint64_t, long> pairs;
    for (const Word& w : words) count_pairs(pairs, w, +1);

    for (int m = 0; m < merges; ++m) {
        std::uint64_t best = 0;
        long best_count = 1;  // a pair must occur at least twice to be worth a token
        for (const auto& [key, count] : pairs)
            if (count > best_count || (count == best_count && count > 1 && key < best)) best = key, best_count = count;
        if (best_count < 2) break;
        const int a = static_cast<int>(best >> 32), b = static_cast<int>(best & 0xFFFFFFFFu);
        const std::string merged = vocab.tokens[a] + vocab.tokens[b];
        auto [it, is_new] = ids.try_emplace(merged, static_cast<int>(vocab.tokens.size()));
        if (is_new) vocab.tokens.push_back(merged);
        const int id = it->second;
        vocab.merges.emplace_back(a, b);
        for (Word& w : words) {
            bool has = false;
            for (std::size_t i = 0; i + 1 < w.symbols.size() && !has; ++i) has = w.symbols[i] == a && w.symbols[i + 1] == b;
            if (!has) continue;
            count_pairs(pairs, w, -1);
            std::vector<int> out;
            for (std::size_t i = 0; i < w.symbols.size(); ++i) {
                if (i + 1 < w.symbols.size() && w.symbols[i] == a && w.symbols[i + 1] == b)
                    out.push_back(id), ++i;
                else
                    out.push_back(w.symbols[i]);
            }
            w.symbols = std::move(out);
            count_pairs(pairs, w, +1);
        }
        if (pairs[best] <= 0) pairs.erase(best);
    }
    return vocab;
}

std::string BpeVocabulary::vocab_json() const {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (std::size_t id = 0; id < tokens.size(); ++id) j[byte_mapped(tokens[id])] = id;
    return j.dump() + "\n";
}

std::string BpeVocabulary::merges_txt() const {
    std::string s = "#version: 0.2\n";
    for (const auto& [a, b] : merges) s += byte_mapped(tokens[a]) + " " + byte_mapped(tokens[b]) + "\n";
    return s;
}

void write_bpe(const std::string& dir, const BpeVocabulary& vocab) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    for (const auto& [name, content] : {std::pair{std::string("vocab.json"), vocab.vocab_json()},
                                        std::pair{std::string("merges.txt"), vocab.merges_txt()}}) {
        write_file_atomic((std::filesystem::path(dir) / name).string(), content);
    }
}

}  // namespace attnscope
