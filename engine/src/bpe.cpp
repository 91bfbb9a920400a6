// GPT-2 byte-level BPE. The pre-tokenization regex is implemented by hand over code points
// (alternatives tried in the regex's order, with its backtracking spelled out), with Unicode
// letter/number categories from ICU; "\s" is JavaScript's whitespace set, as in the reference
// implementation the tests compare with (gpt-3-encoder).
#include "attnscope/bpe.hpp"

#include <unicode/uchar.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <queue>
#include <tuple>
#include <sstream>

#include <nlohmann/json.hpp>

#include "attnscope/error.hpp"
#include "attnscope/tokenizer.hpp"
#include "attnscope/export.hpp"
#include "attnscope/json_input.hpp"

namespace attnscope {
namespace {

namespace fs = std::filesystem;

enum class Cls { Letter, Number, Space, Other };

struct Unit {  // one code point, or one byte of invalid UTF-8 (cp < 0)
    std::size_t begin, size;
    char32_t cp;
    bool valid;
    Cls cls;
};

bool is_js_space(char32_t c) {
    // ECMAScript WhiteSpace + LineTerminator: Zs plus TAB, VT, FF, ZWNBSP, LF, CR, LS, PS.
    if (c == '\t' || c == '\n' || c == 0x0B || c == 0x0C || c == '\r' || c == 0xFEFF || c == 0x2028 || c == 0x2029)
        return true;
    return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_ZS_MASK) != 0;
}

Cls classify(char32_t c) {
    if (is_js_space(c)) return Cls::Space;
    const auto mask = U_GET_GC_MASK(static_cast<UChar32>(c));
    if (mask & U_GC_L_MASK) return Cls::Letter;
    if (mask & U_GC_N_MASK) return Cls::Number;
    return Cls::Other;
}

// Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF); each byte that does not
// start a valid sequence becomes a unit of its own, classed Other.
std::vector<Unit> units_of(std::string_view s) {
    std::vector<Unit> out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        const auto b0 = static_cast<unsigned char>(s[i]);
        std::size_t len = 0;
        char32_t cp = 0, min = 0;
        if (b0 < 0x80) { len = 1; cp = b0; }
        else if ((b0 & 0xE0) == 0xC0) { len = 2; cp = b0 & 0x1F; min = 0x80; }
        else if ((b0 & 0xF0) == 0xE0) { len = 3; cp = b0 & 0x0F; min = 0x800; }
        else if ((b0 & 0xF8) == 0xF0) { len = 4; cp = b0 & 0x07; min = 0x10000; }
        bool ok = len > 0 && i + len <= s.size();
        for (std::size_t k = 1; ok && k < len; ++k) {
            const auto b = static_cast<unsigned char>(s[i + k]);
            if ((b & 0xC0) != 0x80) ok = false;
            cp = (cp << 6) | (b & 0x3F);
        }
        if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
        if (ok) {
            out.push_back({i, len, cp, true, classify(cp)});
            i += len;
        } else {
            out.push_back({i, 1, 0, false, Cls::Other});
            i += 1;
        }
    }
    return out;
}

struct ByteMap {
    char32_t to_unicode[256];
    std::string mapped[256];  // UTF-8 of to_unicode
    ByteMap() {
        // bytes_to_unicode(): printable Latin-1 bytes map to themselves; the rest, in byte order,
        // to 256, 257, ... so that no token contains whitespace or control characters.
        int next = 256;
        for (int b = 0; b < 256; ++b) {
            const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            to_unicode[b] = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(next++);
            append_utf8(mapped[b], to_unicode[b]);
        }
    }
};

const ByteMap& byte_map() {
    static const ByteMap m;
    return m;
}

// Raw bytes of a byte-mapped token text; characters outside the map (special tokens are plain
// ASCII, so none in practice) keep their UTF-8 bytes.
std::string unmap(const std::string& text) {
    static const std::unordered_map<char32_t, char> inverse = [] {
        std::unordered_map<char32_t, char> m;
        for (int b = 0; b < 256; ++b) m[byte_map().to_unicode[b]] = static_cast<char>(b);
        return m;
    }();
    std::string out;
    for (const Unit& u : units_of(text)) {
        const auto it = u.valid ? inverse.find(u.cp) : inverse.end();
        if (it != inverse.end()) out += it->second;
        else out.append(text, u.begin, u.size);
    }
    return out;
}

bool starts_with(const std::vector<Unit>& u, std::size_t i, std::string_view ascii) {
    if (i + ascii.size() > u.size()) return false;
    for (std::size_t k = 0; k < ascii.size(); ++k)
        if (!u[i + k].valid || u[i + k].cp != static_cast<char32_t>(ascii[k])) return false;
    return true;
}

// Length in units of the match of GPT-2's pattern at I (always >= 1).
std::size_t match_at(const std::vector<Unit>& u, std::size_t i) {
    const std::size_t n = u.size();
    // 's|'t|'re|'ve|'m|'ll|'d
    for (std::string_view c : {"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"})
        if (starts_with(u, i, c)) return c.size();
    auto run = [&](std::size_t from, Cls cls) {
        std::size_t j = from;
        while (j < n && u[j].cls == cls) ++j;
        return j - from;
    };
    const bool space = u[i].valid && u[i].cp == ' ';
    //  ?\p{L}+ |  ?\p{N}+ |  ?[^\s\p{L}\p{N}]+
    for (Cls cls : {Cls::Letter, Cls::Number, Cls::Other}) {
        if (space && i + 1 < n && u[i + 1].cls == cls) return 1 + run(i + 1, cls);
        if (u[i].cls == cls) return run(i, cls);
    }
    // \s+(?!\S): the whitespace run, less its last unit when a non-space follows; else \s+.
    const std::size_t ws = run(i, Cls::Space);
    if (i + ws == n || ws == 1) return ws;
    return ws - 1;
}

std::string read_text(const std::string& path, const char* what) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
        throw Error("cannot read the tokenizer's " + std::string(what) + " " + path +
                    (fs::exists(path, ec) ? ": it is not a file" : ": the file does not exist"));
    return read_file(path);
}

}  // namespace

char32_t gpt2_byte_to_unicode(std::uint8_t byte) { return byte_map().to_unicode[byte]; }
const std::string& gpt2_byte_symbol(std::uint8_t byte) { return byte_map().mapped[byte]; }

std::vector<std::string> gpt2_pretokenize(std::string_view text) {
    const std::vector<Unit> u = units_of(text);
    std::vector<std::string> pieces;
    for (std::size_t i = 0; i < u.size();) {
        const std::size_t len = match_at(u, i);
        const std::size_t begin = u[i].begin, end = u[i + len - 1].begin + u[i + len - 1].size;
        pieces.emplace_back(text.substr(begin, end - begin));
        i += len;
    }
    return pieces;
}

BpeTokenizer BpeTokenizer::load(const std::string& dir) {
    const fs::path d(dir);
    std::error_code ec;
    if (!fs::is_directory(d, ec)) throw Error("tokenizer folder " + dir + " does not exist: pass a model folder");
    if (fs::exists(d / "vocab.json", ec) && fs::exists(d / "merges.txt", ec))
        return from_files((d / "vocab.json").string(), (d / "merges.txt").string());
    if (fs::exists(d / "encoder.json", ec) && fs::exists(d / "vocab.bpe", ec))
        return from_files((d / "encoder.json").string(), (d / "vocab.bpe").string());
    if (fs::exists(d / "tokenizer.json", ec))
        throw Error(dir + " has only tokenizer.json: attnscope reads GPT-2's vocab.json + merges.txt (or encoder.json + "
                    "vocab.bpe); save them with tokenizer.save_pretrained(DIR) from a GPT2Tokenizer");
    throw Error(dir + " has no tokenizer: it needs vocab.json + merges.txt, or encoder.json + vocab.bpe");
}

BpeTokenizer BpeTokenizer::from_files(const std::string& vocab_json, const std::string& merges_txt) {
    std::string vocab = read_text(vocab_json, "vocabulary");  // before merges: errors name the first missing file
    return from_strings(vocab, read_text(merges_txt, "merges"), vocab_json, merges_txt);
}

BpeTokenizer BpeTokenizer::from_strings(const std::string& vocab_text, const std::string& merges_text,
                                        const std::string& vocab_label, const std::string& merges_label) {
    BpeTokenizer t;
    const nlohmann::json vocab = parse_json(vocab_text, vocab_label, "the file is damaged");
    if (!vocab.is_object() || vocab.empty())
        throw Error(vocab_label + " must be a JSON object mapping token text to id");
    // Ids index the embedding matrix and number the tokens from 0 with few gaps: an id far past the
    // number of tokens is damage (one id of 16777215 in a 3 KB file used to take 534 MB).
    const std::int64_t kMaxId = static_cast<std::int64_t>(vocab.size()) + 65536;
    for (const auto& [text, id] : vocab.items()) {
        if (!id.is_number_integer() || id.get<std::int64_t>() < 0 || id.get<std::int64_t>() >= kMaxId)
            throw Error(vocab_label + ": token " + quote_json(nlohmann::json(text)) + " has id " + quote_json(id) +
                        ", not an integer in [0, " + std::to_string(kMaxId) + ")");
        const auto i = static_cast<std::size_t>(id.get<std::int64_t>());
        if (t.tokens_.size() <= i) t.tokens_.resize(i + 1);
        if (!t.tokens_[i].empty() || t.encoder_.count(text))
            throw Error(vocab_label + ": id " + std::to_string(i) + " is given to two tokens");
        t.encoder_[text] = static_cast<int>(i);
        t.tokens_[i] = unmap(text);
    }
    for (int b = 0; b < 256; ++b)
        if (!t.encoder_.count(byte_map().mapped[b]))
            throw Error(vocab_label + " lacks the token for byte " + std::to_string(b) + " (\"" + byte_map().mapped[b] +
                        "\"): it is not a GPT-2 byte-level BPE vocabulary");

    std::istringstream lines(merges_text);
    std::string line;
    int line_no = 0;
    while (std::getline(lines, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || (line_no == 1 && line.rfind("#version", 0) == 0)) continue;
        std::istringstream fields(line);
        std::string a, b, extra;
        if (!(fields >> a >> b) || (fields >> extra))
            throw Error(merges_label + " line " + std::to_string(line_no) + ": expected two symbols separated by a space, got " +
                        quote_json(line));
        if (!t.encoder_.count(a + b))
            throw Error(merges_label + " line " + std::to_string(line_no) + ": the merge of " + quote_json(a) + " and " +
                        quote_json(b) + " is not in " + vocab_label + ": the two files do not belong together");
        t.ranks_.emplace(a + ' ' + b, static_cast<int>(t.ranks_.size()));
    }
    return t;
}

std::vector<int> BpeTokenizer::encode_piece(const std::string& mapped) const {
    // The symbols form a linked list of byte ranges of MAPPED; candidate merges wait in a heap
    // ordered by (rank, position). Popping the lowest rank, leftmost first, merges exactly what
    // encoder.py's bpe() merges (all occurrences of the best pair, left to right), in
    // O(k log k) rather than its O(k^2) for a piece of k symbols: a long word cannot stall.
    struct Symbol {
        std::size_t begin, size;
        int prev, next;  // -1 at the ends
    };
    std::vector<Symbol> sym;
    for (const Unit& u : units_of(mapped))
        sym.push_back({u.begin, u.size, static_cast<int>(sym.size()) - 1, static_cast<int>(sym.size()) + 1});
    if (sym.empty()) return {};
    sym.back().next = -1;

    struct Candidate {
        int rank, left;
        std::size_t left_size, right_size;  // sizes when queued: a later merge of either side voids it
        bool operator>(const Candidate& o) const { return std::tie(rank, left) > std::tie(o.rank, o.left); }
    };
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
    std::string key;
    auto consider = [&](int left) {
        if (left < 0 || sym[left].next < 0) return;
        const Symbol& a = sym[left];
        const Symbol& b = sym[a.next];
        key.assign(mapped, a.begin, a.size);
        key += ' ';
        key.append(mapped, b.begin, b.size);
        const auto it = ranks_.find(key);
        if (it != ranks_.end()) queue.push({it->second, left, a.size, b.size});
    };
    for (int i = 0; i + 1 < static_cast<int>(sym.size()); ++i) consider(i);
    while (!queue.empty()) {
        const Candidate c = queue.top();
        queue.pop();
        Symbol& a = sym[c.left];
        if (a.size != c.left_size || a.next < 0 || sym[a.next].size != c.right_size) continue;  // stale
        const int right = a.next;
        a.size += sym[right].size;
        a.next = sym[right].next;
        if (a.next >= 0) sym[a.next].prev = c.left;
        sym[right].size = 0;  // merged away; no candidate can match a zero size
        consider(a.prev);
        consider(c.left);
    }
    std::vector<int> ids;
    for (int i = 0; i >= 0; i = sym[i].next) {
        const auto it = encoder_.find(mapped.substr(sym[i].begin, sym[i].size));
        if (it == encoder_.end())  // load() rules this out: every merge result is in the vocabulary
            throw Error("the vocabulary has no token \"" + mapped.substr(sym[i].begin, sym[i].size) + "\"");
        ids.push_back(it->second);
    }
    return ids;
}

std::vector<int> BpeTokenizer::encode(const std::string& text) const {
    std::vector<int> ids;
    const ByteMap& m = byte_map();
    for (const std::string& piece : gpt2_pretokenize(text)) {
        std::string mapped;
        for (unsigned char b : piece) mapped += m.mapped[b];
        {
            std::lock_guard<std::mutex> lock(cache_->mutex);
            const auto it = cache_->words.find(mapped);
            if (it != cache_->words.end()) {
                ids.insert(ids.end(), it->second.begin(), it->second.end());
                continue;
            }
        }
        std::vector<int> piece_ids = encode_piece(mapped);
        ids.insert(ids.end(), piece_ids.begin(), piece_ids.end());
        std::lock_guard<std::mutex> lock(cache_->mutex);
        if (cache_->words.size() >= 100'000) cache_->words.clear();  // bounded: texts can be arbitrary
        cache_->words.emplace(std::move(mapped), std::move(piece_ids));
    }
    return ids;
}

std::string BpeTokenizer::decode(const std::vector<int>& ids) const {
    std::string out;
    for (int id : ids) {
        if (id < 0 || id >= vocab_size())
            throw Error("token id " + std::to_string(id) + " is out of range: the vocabulary has " +
                        std::to_string(vocab_size()) + " tokens");
        out += tokens_[static_cast<std::size_t>(id)];
    }
    return out;
}

namespace {

// UTF-8 characters of `bytes` as [begin, end) byte ranges; an ill-formed sequence is one unit per
// maximal ill-formed subpart (the WHATWG/Unicode rule that JavaScript's TextDecoder and Python's
// errors="replace" follow), marked invalid.
struct Utf8Unit {
    std::size_t begin, end;
    bool valid;
};

std::vector<Utf8Unit> utf8_units(const std::string& bytes) {
    const auto at = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
    std::vector<Utf8Unit> units;
    std::size_t i = 0;
    while (i < bytes.size()) {
        const unsigned char b = at(i);
        std::size_t len = 0;
        unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
        if (b < 0x80) len = 1;
        else if (b >= 0xC2 && b <= 0xDF) len = 2;
        else if (b >= 0xE0 && b <= 0xEF) { len = 3; if (b == 0xE0) lo = 0xA0; if (b == 0xED) hi = 0x9F; }
        else if (b >= 0xF0 && b <= 0xF4) { len = 4; if (b == 0xF0) lo = 0x90; if (b == 0xF4) hi = 0x8F; }
        std::size_t j = i + 1;
        if (len > 1 && j < bytes.size() && at(j) >= lo && at(j) <= hi) {
            ++j;
            while (j < i + len && j < bytes.size() && at(j) >= 0x80 && at(j) <= 0xBF) ++j;
        }
        units.push_back({i, j, len > 0 && j == i + len});
        i = j;
    }
    return units;
}

constexpr const char* kReplacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr const char* kEllipsis = "\xE2\x80\xA6";     // U+2026

std::string unit_text(const std::string& bytes, const Utf8Unit& u) {
    return u.valid ? bytes.substr(u.begin, u.end - u.begin) : std::string(kReplacement);
}

}  // namespace

std::string BpeTokenizer::piece(int id) const {
    // One U+FFFD per ill-formed unit: a token holding the first two bytes of a 4-byte emoji shows one
    // replacement character, not two.
    const std::string bytes = decode({id});
    std::string out;
    for (const Utf8Unit& u : utf8_units(bytes)) out += unit_text(bytes, u);
    return out;
}

std::vector<std::string> BpeTokenizer::labels(const std::vector<int>& ids) const {
    std::string all;
    std::vector<std::size_t> start;
    for (int id : ids) start.push_back(all.size()), all += decode({id});
    start.push_back(all.size());
    const std::vector<Utf8Unit> units = utf8_units(all);
    std::vector<std::string> out;
    std::size_t u = 0;  // the first unit that ends after the token's start
    for (std::size_t t = 0; t < ids.size(); ++t) {
        const std::size_t a = start[t], b = start[t + 1];
        std::string label;
        while (u < units.size() && units[u].end <= a) ++u;
        if (a < b && u < units.size()) {
            if (units[u].begin < a) label += kEllipsis;  // the character began in an earlier token
            std::size_t v = u;
            for (; v < units.size() && units[v].begin < b; ++v) label += unit_text(all, units[v]);
            if (units[v - 1].end > b) label += kEllipsis;  // and goes on in a later one
        }
        out.push_back(std::move(label));
    }
    return out;
}

}  // namespace attnscope
