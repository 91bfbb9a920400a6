#include "attnscope/trace_json.hpp"

#include <charconv>
#include <climits>
#include <cstdint>
#include <cmath>

#include "attnscope/error.hpp"
#include "attnscope/json_input.hpp"
#include "attnscope/stages.hpp"

namespace attnscope {

using nlohmann::json;

namespace {

// A cell that is not a finite number: null for -inf (a masked logit), else "NaN" or "Infinity", so
// that a broken number can never pass for a masked one. Empty for a finite number.
const char* non_finite_cell(double v) {
    if (std::isnan(v)) return "\"NaN\"";
    if (std::isinf(v)) return v < 0 ? "null" : "\"Infinity\"";
    return "";
}

}  // namespace

json matrix_to_json(const Matrix& m) {
    json rows = json::array();
    for (int i = 0; i < m.rows(); ++i) {
        json row = json::array();
        for (int j = 0; j < m.cols(); ++j)
            row.push_back(std::isfinite(m(i, j)) ? json(m(i, j)) : json::parse(non_finite_cell(m(i, j))));
        rows.push_back(std::move(row));
    }
    return rows;
}

Matrix matrix_from_json(const json& rows) {
    if (!rows.is_array()) throw Error("a matrix must be an array of rows");
    const int n = static_cast<int>(rows.size());
    const int d = n > 0 ? static_cast<int>(rows[0].size()) : 0;
    Matrix m(n, d);
    for (int i = 0; i < n; ++i) {
        if (!rows[i].is_array() || static_cast<int>(rows[i].size()) != d)
            throw Error("matrix row " + std::to_string(i) + " does not have " + std::to_string(d) + " entries");
        for (int j = 0; j < d; ++j) {
            const json& cell = rows[i][j];
            if (cell == "NaN" || cell == "Infinity") {
                m(i, j) = cell == "NaN" ? NAN : INFINITY;
                continue;
            }
            if (!cell.is_null() && !cell.is_number())
                throw Error("matrix cell (" + std::to_string(i) + ", " + std::to_string(j) + ") is " + quote_json(cell) +
                            ", not a number, null (masked), \"NaN\" or \"Infinity\"");
            m(i, j) = cell.is_null() ? -INFINITY : cell.get<double>();
        }
    }
    return m;
}

// Every parameter of every variant (variant_param_table()), so a saved run restores exactly.
json variant_to_json(const VariantParams& v) {
    json j = json::object();
    for (const VariantParamInfo& p : variant_param_table())
        j[p.name] = p.field ? json(v.*p.field) : json(v.*p.list);
    return j;
}

// A whole number that fits an int; JSON's 2.7 or 1e10 would otherwise be cut or overflow.
int as_int(const json& v, const std::string& what) {
    if (v.is_number_integer()) {
        const long long x = v.is_number_unsigned() && v.get<unsigned long long>() > INT_MAX ? LLONG_MAX : v.get<long long>();
        if (x >= INT_MIN && x <= INT_MAX) return static_cast<int>(x);
    }
    throw Error("'" + what + "' has the wrong type: it must be a whole number within +-2147483647, not " + quote_json(v) +
                ": fix the file or delete it to start from the defaults");
}

int int_field(const json& j, const char* key, int fallback) { return j.contains(key) ? as_int(j.at(key), key) : fallback; }

// The seed is any 64-bit whole number; nlohmann would convert 1e300 or -1 to one without a word.
std::uint64_t seed_field(const json& j, std::uint64_t fallback) {
    if (!j.contains("seed")) return fallback;
    const json& v = j.at("seed");
    if (v.is_number_unsigned()) return v.get<std::uint64_t>();
    throw Error("'seed' has the wrong type: it must be a whole number from 0 to 18446744073709551615, not " +
                quote_json(v) + ": fix the file or delete it to start from the defaults");
}

VariantParams variant_from_json(const std::string& variant, const json& j) {
    VariantParams v;
    v.kind = parse_variant(variant);
    for (const VariantParamInfo& p : variant_param_table()) {
        if (p.field) v.*p.field = int_field(j, p.name, v.*p.field);
        if (p.list)
            for (const json& x : j.value(p.name, json::array())) (v.*p.list).push_back(as_int(x, p.name));
    }
    return v;
}

json inputs_to_json(const Inputs& in) {
    json edits = json::array();
    for (const Edit& e : in.edits) edits.push_back({{"matrix", e.matrix}, {"row", e.row}, {"col", e.col}, {"value", e.value}});
    return {{"text", in.text},       {"cross_text", in.cross_text},   {"d_model", in.d_model},
            {"heads", in.heads},     {"seed", in.seed},               {"pe", name(in.pe)},
            {"mask", name(in.mask)}, {"temperature", in.temperature}, {"bos", in.bos},
            {"pad_to", in.pad_to},   {"edits", edits},                {"variant", name(in.variant.kind)},
            {"variant_params", variant_to_json(in.variant)}, {"backend", name(in.backend)},
            {"model", in.model}};
}

Inputs inputs_from_json(const json& j) {
    Inputs in;
    try {
        in.text = j.value("text", in.text);
        in.cross_text = j.value("cross_text", in.cross_text);
        in.d_model = int_field(j, "d_model", in.d_model);
        in.heads = int_field(j, "heads", in.heads);
        in.seed = seed_field(j, in.seed);
        in.pe = parse_positional(j.value("pe", std::string(name(in.pe))));
        in.mask = parse_mask(j.value("mask", std::string(name(in.mask))));
        in.temperature = j.value("temperature", in.temperature);
        in.bos = j.value("bos", in.bos);
        in.pad_to = int_field(j, "pad_to", in.pad_to);
        in.backend = parse_backend(j.value("backend", std::string(name(in.backend))));
        in.model = j.value("model", in.model);
        in.variant = variant_from_json(j.value("variant", std::string(name(in.variant.kind))),
                                       j.value("variant_params", json::object()));
        for (const json& e : j.value("edits", json::array()))
            in.edits.push_back({e.at("matrix").get<std::string>(), as_int(e.at("row"), "row"),
                                as_int(e.at("col"), "col"), e.at("value").get<double>()});
    } catch (const json::exception& e) {
        throw Error(std::string("the inputs have a field of the wrong type (") + e.what() +
                    "): fix the file or delete it to start from the defaults");
    }
    return in;
}

namespace {

json sequence_to_json(const SequenceTrace& s) {
    return {{"tokens", s.tokens},
            {"embeddings", matrix_to_json(s.embeddings)},
            {"positional", matrix_to_json(s.positional)},
            {"input", matrix_to_json(s.input)}};
}

json mask_to_json(const MaskMatrix& m) {
    json rows = json::array();
    for (int i = 0; i < m.rows(); ++i) {
        json row = json::array();
        for (int j = 0; j < m.cols(); ++j) row.push_back(static_cast<bool>(m(i, j)));
        rows.push_back(std::move(row));
    }
    return rows;
}

json comparison_to_json(const HeadComparison& c) {
    auto finite_or_null = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
    json kl = json::array();
    for (double v : c.kl) kl.push_back(finite_or_null(v));
    return {{"kl", kl},
            {"tv", c.tv},
            {"mean_kl", finite_or_null(c.mean_kl)},
            {"mean_tv", c.mean_tv},
            {"max_tv", c.max_tv},
            {"mass_kept", c.mass_kept},
            {"attention_error", c.attention_error},
            {"spectrum", std::vector<double>(c.spectrum.data(), c.spectrum.data() + c.spectrum.size())},
            {"rank", c.rank},
            {"best_rank_error", c.best_rank_error}};
}

// Where the writer puts matrices: in the tree (to_json), or, for write_json, as placeholders that
// the writer replaces by the matrix's text as it streams, so that a layer's matrices are never in
// memory as JSON nodes (12 heads of 1024 x 1024 would be 200 MB of them).
class Matrices {
public:
    explicit Matrices(bool deferred) : deferred_(deferred) {}
    json operator()(const Matrix& m) {
        if (!deferred_) return matrix_to_json(m);
        deferred_list_.push_back(&m);
        return std::string(1, kMark) + std::to_string(deferred_list_.size() - 1);
    }
    const Matrix& at(std::size_t i) const { return *deferred_list_.at(i); }
    void clear() { deferred_list_.clear(); }
    static constexpr char kMark = '\x01';

private:
    bool deferred_;
    std::vector<const Matrix*> deferred_list_;
};

// What a variant used, so its output can be recomputed from the trace alone.
json variant_to_json(const VariantRecord& r, Matrices& mat) {
    json j;
    if (r.pattern.size() > 0) j["pattern"] = mask_to_json(r.pattern);
    if (r.E.size() > 0) j["E"] = mat(r.E), j["F"] = mat(r.F);
    if (r.Q_landmarks.size() > 0)
        j["Q_landmarks"] = mat(r.Q_landmarks), j["K_landmarks"] = mat(r.K_landmarks);
    if (r.features.size() > 0) j["features"] = mat(r.features);
    if (r.svd.U.size() > 0)
        j["svd"] = {{"U", mat(r.svd.U)},
                    {"S", std::vector<double>(r.svd.S.data(), r.svd.S.data() + r.svd.S.size())},
                    {"V", mat(r.svd.V)}};
    j["exact_attention"] = mat(r.exact_attention);
    j["exact_output"] = mat(r.exact_output);
    j["comparison"] = comparison_to_json(r.comparison);
    return j;
}

json head_to_json(const HeadTrace& h, const StageSelection& keep, Matrices& mat) {
    json j = {{"kv_head", h.kv_head}};
    for_each_stage(h, [&](const char* name, const Matrix& m) {
        if (keep.keeps(name)) j[name] = mat(m);
    });
    if (h.variant && keep.keeps("variant")) j["variant"] = variant_to_json(*h.variant, mat);
    return j;
}

json vector_to_json(const Vector& v) { return std::vector<double>(v.data(), v.data() + v.size()); }

json layer_to_json(const Trace& t, int index, const StageSelection& keep, Matrices& mat) {
    const LayerTrace& l = t.layers[index];
    json j = {{"index", index}};
    for_each_stage(l, [&](const char* name, const Matrix& m) {
        if (!keep.keeps(name)) return;
        if (std::string(name) == "key_input" && !t.cross) return;  // == attention_input
        if (std::string(name) == "exact_output" && !t.has_variant()) return;  // == output
        j[name] = mat(m);
    });
    if (keep.keeps("weights")) {
        json w = json::object();
        const std::pair<const char*, const Matrix*> mats[] = {{"W_Q", &l.W_Q}, {"W_K", &l.W_K}, {"W_V", &l.W_V}, {"W_O", &l.W_O}};
        for (const auto& [name, m] : mats)
            if (m->size() > 0) w[name] = mat(*m);
        const std::pair<const char*, const Vector*> biases[] = {{"b_Q", &l.b_Q}, {"b_K", &l.b_K}, {"b_V", &l.b_V}, {"b_O", &l.b_O}};
        for (const auto& [name, b] : biases)
            if (b->size() > 0) w[name] = vector_to_json(*b);
        if (!l.alibi_slopes.empty()) w["alibi_slopes"] = l.alibi_slopes;
        if (l.relative_table.size() > 0) w["relative_bias_table"] = mat(l.relative_table);
        j["weights"] = std::move(w);
    }
    j["heads"] = json::array();
    for (const HeadTrace& h : l.heads) j["heads"].push_back(head_to_json(h, keep, mat));
    if (t.has_variant())
        j["comparison"] = {{"output_error", l.output_error},
                           {"cost", {{"variant", {{"flops", l.cost.flops}, {"bytes", l.cost.bytes}}},
                                     {"dense", {{"flops", l.dense_cost.flops}, {"bytes", l.dense_cost.bytes}}}}}};
    return j;
}

}  // namespace

json trace_header_json(const Trace& t) {
    json config = inputs_to_json(t.inputs);
    config["d_head"] = t.d_head;
    config["n"] = t.n();
    config["m"] = t.m();
    config["layers"] = t.layer_count();
    config["backend"] = name(t.backend);  // the backend that ran, which may differ from the one asked for
    if (!t.backend_note.empty()) config["backend_note"] = t.backend_note;

    json j = sequence_to_json(t.query);
    j["schema"] = kTraceSchema;
    j["config"] = std::move(config);
    if (t.model) {
        const ModelSummary& m = *t.model;
        j["model"] = {{"family", m.family}, {"n_layer", m.n_layer}, {"n_head", m.n_head}, {"n_kv_head", m.n_kv_head},
                      {"d_model", m.d_model}, {"d_head", m.d_head}, {"n_ctx", m.n_ctx}, {"vocab_size", m.vocab_size}};
        j["token_ids"] = t.token_ids;
        j["next_tokens"] = json::array();
        for (const TokenPrediction& p : t.next_tokens)
            j["next_tokens"].push_back({{"id", p.id}, {"piece", p.piece}, {"prob", p.probability}});
    }
    if (t.cross) j["cross"] = sequence_to_json(t.keys);
    j["mask"] = mask_to_json(t.allowed);
    return j;
}

namespace {

std::vector<int> written_layers(const Trace& t, int only_layer) {
    if (only_layer >= t.layer_count())
        throw Error("layer " + std::to_string(only_layer) + " does not exist: the trace has " +
                    std::to_string(t.layer_count()) + " layer" + (t.layer_count() == 1 ? "" : "s") + " (0.." +
                    std::to_string(t.layer_count() - 1) + ")");
    std::vector<int> out;
    for (int l = 0; l < t.layer_count(); ++l)
        if (only_layer < 0 || l == only_layer) out.push_back(l);
    return out;
}

}  // namespace

json to_json(const Trace& t, const TraceWriteOptions& options) {
    json j = trace_header_json(t);
    j["layers"] = json::array();
    Matrices inline_matrices(false);
    for (int l : written_layers(t, options.layer))
        j["layers"].push_back(layer_to_json(t, l, options.stages, inline_matrices));
    return j;
}

namespace {

// A matrix as JSON text, null for -inf, "NaN" and "Infinity" (non_finite_cell): shortest round-trip doubles, or for a model trace
// (computed in float32) shortest round-trip floats, which is all the precision its numbers have.
void write_matrix(std::ostream& out, const Matrix& m, bool as_float) {
    std::string text;
    char number[32];
    out.put('[');
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
        text.clear();
        text += i ? ",[" : "[";
        for (Eigen::Index j = 0; j < m.cols(); ++j) {
            if (j) text += ',';
            const double v = m(i, j);
            if (!std::isfinite(v)) {
                text += non_finite_cell(v);
                continue;
            }
            const auto [end, ec] = as_float ? std::to_chars(number, number + sizeof number, static_cast<float>(v))
                                            : std::to_chars(number, number + sizeof number, v);
            text.append(number, end);
        }
        text += ']';
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
    }
    out.put(']');
}

// Dumped JSON with the placeholders ("\u0001<index>") replaced by their matrices' text.
void write_with_matrices(std::ostream& out, const std::string& dumped, const Matrices& mat, bool as_float) {
    const std::string mark = "\"\\u0001";
    std::size_t from = 0;
    for (std::size_t at = dumped.find(mark); at != std::string::npos; at = dumped.find(mark, from)) {
        out.write(dumped.data() + from, static_cast<std::streamsize>(at - from));
        const std::size_t digits = at + mark.size(), close = dumped.find('"', digits);
        write_matrix(out, mat.at(std::stoul(dumped.substr(digits, close - digits))), as_float);
        from = close + 1;
    }
    out.write(dumped.data() + from, static_cast<std::streamsize>(dumped.size() - from));
}

}  // namespace

void write_json(std::ostream& out, const Trace& t, const TraceWriteOptions& options) {
    if (options.indent < -1 || options.indent > 16)
        throw Error("indent " + std::to_string(options.indent) + " is out of range: use 0 to 16 spaces, or leave it out");
    if (options.indent >= 0) {  // pretty-printing is for small traces: built as one tree
        out << to_json(t, options).dump(options.indent) << "\n";
    } else {
        const std::vector<int> layers = written_layers(t, options.layer);
        Matrices mat(true);
        std::string head = trace_header_json(t).dump();
        head.pop_back();  // the closing brace: the layers follow one at a time
        write_with_matrices(out, head, mat, t.has_model());
        out << ",\"layers\":[";
        for (std::size_t i = 0; i < layers.size(); ++i) {
            if (i) out << ",";
            mat.clear();
            const std::string layer = layer_to_json(t, layers[i], options.stages, mat).dump();
            write_with_matrices(out, layer, mat, t.has_model());
        }
        out << "]}\n";
    }
    if (!out) throw Error("could not write the trace: is the disk full?");
}

}  // namespace attnscope
