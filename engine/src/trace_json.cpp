#include "attnscope/trace_json.hpp"

#include <climits>
#include <cmath>

#include "attnscope/error.hpp"

namespace attnscope {

using nlohmann::json;

json matrix_to_json(const Matrix& m) {
    json rows = json::array();
    for (int i = 0; i < m.rows(); ++i) {
        json row = json::array();
        for (int j = 0; j < m.cols(); ++j) row.push_back(std::isfinite(m(i, j)) ? json(m(i, j)) : json(nullptr));
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
            if (!rows[i][j].is_null() && !rows[i][j].is_number())
                throw Error("matrix cell (" + std::to_string(i) + ", " + std::to_string(j) + ") is " +
                            rows[i][j].type_name() + ", not a number or null");
            m(i, j) = rows[i][j].is_null() ? -INFINITY : rows[i][j].get<double>();
        }
    }
    return m;
}

json variant_to_json(const VariantParams& v) {
    return {{"window", v.window},        {"dilation", v.dilation},
            {"global_tokens", v.global_tokens}, {"stride", v.stride}, {"summary", v.summary},
            {"block", v.block},          {"globals", v.globals},     {"random_blocks", v.random_blocks},
            {"top_k", v.top_k},          {"k", v.k},                 {"landmarks", v.landmarks},
            {"features", v.features},    {"rank", v.rank},           {"pinv_iterations", v.pinv_iterations}};
}

// A whole number that fits an int; JSON's 2.7 or 1e10 would otherwise be cut or overflow.
int as_int(const json& v, const std::string& what) {
    if (v.is_number_integer()) {
        const long long x = v.is_number_unsigned() && v.get<unsigned long long>() > INT_MAX ? LLONG_MAX : v.get<long long>();
        if (x >= INT_MIN && x <= INT_MAX) return static_cast<int>(x);
    }
    throw Error("'" + what + "' has the wrong type: it must be a whole number within +-2147483647, not " + v.dump() +
                ": fix the file or delete it to start from the defaults");
}

int int_field(const json& j, const char* key, int fallback) { return j.contains(key) ? as_int(j.at(key), key) : fallback; }

VariantParams variant_from_json(const std::string& variant, const json& j) {
    VariantParams v;
    v.kind = parse_variant(variant);
    v.window = int_field(j, "window", v.window);
    v.dilation = int_field(j, "dilation", v.dilation);
    for (const json& g : j.value("global_tokens", json::array())) v.global_tokens.push_back(as_int(g, "global_tokens"));
    v.stride = int_field(j, "stride", v.stride);
    v.summary = int_field(j, "summary", v.summary);
    v.block = int_field(j, "block", v.block);
    v.globals = int_field(j, "globals", v.globals);
    v.random_blocks = int_field(j, "random_blocks", v.random_blocks);
    v.top_k = int_field(j, "top_k", v.top_k);
    v.k = int_field(j, "k", v.k);
    v.landmarks = int_field(j, "landmarks", v.landmarks);
    v.features = int_field(j, "features", v.features);
    v.rank = int_field(j, "rank", v.rank);
    v.pinv_iterations = int_field(j, "pinv_iterations", v.pinv_iterations);
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
            {"model", in.model},     {"layer", in.layer}};
}

Inputs inputs_from_json(const json& j) {
    Inputs in;
    try {
        in.text = j.value("text", in.text);
        in.cross_text = j.value("cross_text", in.cross_text);
        in.d_model = int_field(j, "d_model", in.d_model);
        in.heads = int_field(j, "heads", in.heads);
        in.seed = j.value("seed", in.seed);
        in.pe = parse_positional(j.value("pe", std::string(name(in.pe))));
        in.mask = parse_mask(j.value("mask", std::string(name(in.mask))));
        in.temperature = j.value("temperature", in.temperature);
        in.bos = j.value("bos", in.bos);
        in.pad_to = int_field(j, "pad_to", in.pad_to);
        in.backend = parse_backend(j.value("backend", std::string(name(in.backend))));
        in.model = j.value("model", in.model);
        in.layer = int_field(j, "layer", in.layer);
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

// What a variant used, so its output can be recomputed from the trace alone.
void add_variant_fields(json& j, const HeadTrace& h) {
    if (h.pattern.size() > 0) j["pattern"] = mask_to_json(h.pattern);
    if (h.E.size() > 0) j["E"] = matrix_to_json(h.E), j["F"] = matrix_to_json(h.F);
    if (h.Q_landmarks.size() > 0)
        j["Q_landmarks"] = matrix_to_json(h.Q_landmarks), j["K_landmarks"] = matrix_to_json(h.K_landmarks);
    if (h.features.size() > 0) j["features"] = matrix_to_json(h.features);
    if (h.svd.U.size() > 0)
        j["svd"] = {{"U", matrix_to_json(h.svd.U)},
                    {"S", std::vector<double>(h.svd.S.data(), h.svd.S.data() + h.svd.S.size())},
                    {"V", matrix_to_json(h.svd.V)}};
    j["exact_attention"] = matrix_to_json(h.exact_attention);
    j["exact_output"] = matrix_to_json(h.exact_output);
    j["comparison"] = comparison_to_json(h.comparison);
}

json head_to_json(const HeadTrace& h) {
    json j = {{"Q", matrix_to_json(h.Q)},           {"K", matrix_to_json(h.K)},
              {"V", matrix_to_json(h.V)},           {"scores", matrix_to_json(h.scores)},
              {"scaled", matrix_to_json(h.scaled)},
              {"logits", matrix_to_json(h.logits)}, {"attention", matrix_to_json(h.attention)},
              {"output", matrix_to_json(h.output)}};
    if (h.bias.size() > 0) j["bias"] = matrix_to_json(h.bias);
    if (h.exact_attention.size() > 0) add_variant_fields(j, h);
    return j;
}

// A model's every layer, its token ids and the next-token top 5.
void add_model_fields(json& j, const Trace& t) {
    j["token_ids"] = t.token_ids;
    j["layers"] = json::array();
    for (const LayerTrace& l : t.layers) {
        json layer = {{"input", matrix_to_json(l.input)},
                      {"attention_input", matrix_to_json(l.attention_input)},
                      {"heads", json::array()},
                      {"concat", matrix_to_json(l.concat)},
                      {"output", matrix_to_json(l.output)},
                      {"mean_attention", matrix_to_json(l.mean_attention)},
                      {"rollout", matrix_to_json(l.rollout)}};
        for (const HeadTrace& h : l.heads) layer["heads"].push_back(head_to_json(h));
        j["layers"].push_back(std::move(layer));
    }
    j["next_tokens"] = json::array();
    for (const TokenPrediction& p : t.next_tokens)
        j["next_tokens"].push_back({{"id", p.id}, {"piece", p.piece}, {"probability", p.probability}});
}

}  // namespace

json to_json(const Trace& t) {
    json config = inputs_to_json(t.inputs);
    config["d_head"] = t.d_head;
    config["n"] = t.n();
    config["m"] = t.m();
    config["backend"] = name(t.backend);  // the backend that ran, which may differ from the one asked for

    json weights = {{"W_Q", matrix_to_json(t.W_Q)},
                    {"W_K", matrix_to_json(t.W_K)},
                    {"W_V", matrix_to_json(t.W_V)},
                    {"W_O", matrix_to_json(t.W_O)}};
    if (!t.alibi_slopes.empty()) weights["alibi_slopes"] = t.alibi_slopes;
    if (t.relative_table.size() > 0) weights["relative_bias_table"] = matrix_to_json(t.relative_table);

    const json mask = mask_to_json(t.allowed);

    json j = sequence_to_json(t.query);
    j["schema"] = kTraceSchema;
    j["config"] = std::move(config);
    if (t.cross) j["cross"] = sequence_to_json(t.keys);
    j["weights"] = std::move(weights);
    j["mask"] = std::move(mask);
    j["heads"] = json::array();
    for (const HeadTrace& h : t.heads) j["heads"].push_back(head_to_json(h));
    if (t.has_model()) add_model_fields(j, t);
    j["concat"] = matrix_to_json(t.concat);
    j["output"] = matrix_to_json(t.output);
    if (t.has_variant()) {
        j["exact_output"] = matrix_to_json(t.exact_output);
        j["comparison"] = {{"output_error", t.output_error},
                           {"cost", {{"variant", {{"flops", t.cost.flops}, {"bytes", t.cost.bytes}}},
                                     {"dense", {{"flops", t.dense_cost.flops}, {"bytes", t.dense_cost.bytes}}}}}};
    }
    return j;
}

}  // namespace attnscope
