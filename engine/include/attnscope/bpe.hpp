#pragma once
// GPT-2's byte-level BPE tokenizer. Text is split by GPT-2's pre-tokenization pattern
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// each piece's UTF-8 bytes are mapped to printable code points (bytes_to_unicode), and adjacent
// symbols are merged by merge rank until none applies. Reads vocab.json + merges.txt (Hugging Face)
// or encoder.json + vocab.bpe (OpenAI; same formats, other names).
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace attnscope {

class BpeTokenizer {
public:
    // DIR/vocab.json + DIR/merges.txt, or DIR/encoder.json + DIR/vocab.bpe. Throws Error when neither
    // pair is there or a file is malformed.
    static BpeTokenizer load(const std::string& dir);
    static BpeTokenizer from_files(const std::string& vocab_json, const std::string& merges_txt);
    // The same from the files' contents (tests and the fuzz target); labels name them in errors.
    static BpeTokenizer from_strings(const std::string& vocab_json, const std::string& merges_txt,
                                     const std::string& vocab_label = "vocab.json",
                                     const std::string& merges_label = "merges.txt");

    // Any bytes: invalid UTF-8 is split into single bytes, which byte-level BPE encodes like any other.
    // Throws Error only when a piece cannot be encoded (a vocabulary lacking a byte symbol).
    std::vector<int> encode(const std::string& text) const;
    std::string decode(const std::vector<int>& ids) const;  // throws Error on an id out of range
    std::string piece(int id) const;  // the token's bytes as UTF-8 text (invalid bytes shown as U+FFFD)
    // Each token of a sequence as it reads: whole characters as themselves; a token holding part of a
    // character (a CJK character is 3 byte tokens in GPT-2) shows that character, with "…" on the side
    // where it continues in a neighbouring token: "自…", "…自…", "…自". Bytes that are not UTF-8 at
    // all show as U+FFFD.
    std::vector<std::string> labels(const std::vector<int>& ids) const;
    int vocab_size() const { return static_cast<int>(tokens_.size()); }

    BpeTokenizer(BpeTokenizer&&) noexcept = default;
    BpeTokenizer& operator=(BpeTokenizer&&) noexcept = default;

private:
    BpeTokenizer() = default;
    std::vector<int> encode_piece(const std::string& mapped) const;

    std::unordered_map<std::string, int> encoder_;      // byte-mapped token text -> id
    std::vector<std::string> tokens_;                   // id -> raw bytes
    std::unordered_map<std::string, int> ranks_;        // "first second" (byte-mapped, so no spaces inside) -> merge rank
    // Encoding a word repeats across a text; the cache is guarded so that encode() stays const and
    // callable from several threads.
    struct Cache {
        std::mutex mutex;
        std::unordered_map<std::string, std::vector<int>> words;
    };
    std::unique_ptr<Cache> cache_ = std::make_unique<Cache>();
};

// The GPT-2 pre-tokenization of TEXT (pieces are byte ranges of TEXT; invalid UTF-8 bytes are
// pieces' parts like any non-letter, non-number symbol).
std::vector<std::string> gpt2_pretokenize(std::string_view text);

// GPT-2's reversible byte -> printable code point map (bytes_to_unicode in encoder.py).
char32_t gpt2_byte_to_unicode(std::uint8_t byte);
// The same code point as UTF-8: how the byte is spelled in vocab.json and merges.txt.
const std::string& gpt2_byte_symbol(std::uint8_t byte);

}  // namespace attnscope
