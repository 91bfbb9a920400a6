#pragma once
// Training a byte-level BPE tokenizer in GPT-2's format: the text is pre-tokenized with GPT-2's
// pattern (gpt2_pretokenize), every piece starts as its bytes (ids 0..255 = byte values), and the
// most frequent adjacent pair, counted over the pieces, is merged into a new token, `merges` times
// (or until no pair occurs twice). Ties go to the pair of lower ids, so the result is deterministic.
// The files it writes are read by BpeTokenizer::load.
#include <string>
#include <utility>
#include <vector>

namespace attnscope {

struct BpeVocabulary {
    std::vector<std::string> tokens;              // id -> raw bytes
    std::vector<std::pair<int, int>> merges;      // in rank order: (left id, right id)
    std::string vocab_json() const;               // {"byte-mapped token": id, ...}
    std::string merges_txt() const;               // "#version: 0.2" then "left right" per line
};

BpeVocabulary train_bpe(const std::string& text, int merges);

// Writes DIR/vocab.json and DIR/merges.txt (creating DIR).
void write_bpe(const std::string& dir, const BpeVocabulary& vocab);

}  // namespace attnscope
