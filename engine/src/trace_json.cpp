#include "attnscope/trace_json.hpp"

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
        for (int j = 0; j < d; ++j) m(i, j) = rows[i][j].is_null() ? -INFINITY : rows[i][j].get<double>();
    }
    return m;
}

json inputs_to_json(const Inputs& in) {
    json edits = json::array();
    for (const Edit& e : in.edits) edits.push_back({{"matrix", e.matrix}, {"row", e.row}, {"col", e.col}, {"value", e.value}});
    return {{"text", in.text},       {"cross_text", in.cross_text},   {"d_model", in.d_model},
            {"heads", in.heads},     {"seed", in.seed},               {"pe", name(in.pe)},
            {"mask", name(in.mask)}, {"temperature", in.temperature}, {"bos", in.bos},
            {"pad_to", in.pad_to},   {"edits", edits}};
}

Inputs inputs_from_json(const json& j) {
    Inputs in;
    try {
        in.text = j.value("text", in.text);
        in.cross_text = j.value("cross_text", in.cross_text);
        in.d_model = j.value("d_model", in.d_model);
        in.heads = j.value("heads", in.heads);
        in.seed = j.value("seed", in.seed);
        in.pe = parse_positional(j.value("pe", std::string(name(in.pe))));
        in.mask = parse_mask(j.value("mask", std::string(name(in.mask))));
        in.temperature = j.value("temperature", in.temperature);
        in.bos = j.value("bos", in.bos);
        in.pad_to = j.value("pad_to", in.pad_to);
        for (const json& e : j.value("edits", json::array()))
            in.edits.push_back({e.at("matrix").get<std::string>(), e.at("row").get<int>(), e.at("col").get<int>(),
                                e.at("value").get<double>()});
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

json head_to_json(const HeadTrace& h) {
    json j = {{"Q", matrix_to_json(h.Q)},           {"K", matrix_to_json(h.K)},
              {"V", matrix_to_json(h.V)},           {"scores", matrix_to_json(h.scores)},
              {"scaled", matrix_to_json(h.scaled)},
              {"logits", matrix_to_json(h.logits)}, {"attention", matrix_to_json(h.attention)},
              {"output", matrix_to_json(h.output)}};
    if (h.bias.size() > 0) j["bias"] = matrix_to_json(h.bias);
    return j;
}

}  // namespace

json to_json(const Trace& t) {
    json config = inputs_to_json(t.inputs);
    config["d_head"] = t.d_head;
    config["n"] = t.n();
    config["m"] = t.m();
    config["backend"] = "cpu";
    config["variant"] = "dense";

    json weights = {{"W_Q", matrix_to_json(t.W_Q)},
                    {"W_K", matrix_to_json(t.W_K)},
                    {"W_V", matrix_to_json(t.W_V)},
                    {"W_O", matrix_to_json(t.W_O)}};
    if (!t.alibi_slopes.empty()) weights["alibi_slopes"] = t.alibi_slopes;
    if (t.relative_table.size() > 0) weights["relative_bias_table"] = matrix_to_json(t.relative_table);

    json mask = json::array();
    for (int i = 0; i < t.allowed.rows(); ++i) {
        json row = json::array();
        for (int j = 0; j < t.allowed.cols(); ++j) row.push_back(static_cast<bool>(t.allowed(i, j)));
        mask.push_back(std::move(row));
    }

    json j = sequence_to_json(t.query);
    j["schema"] = kTraceSchema;
    j["config"] = std::move(config);
    if (t.cross) j["cross"] = sequence_to_json(t.keys);
    j["weights"] = std::move(weights);
    j["mask"] = std::move(mask);
    j["heads"] = json::array();
    for (const HeadTrace& h : t.heads) j["heads"].push_back(head_to_json(h));
    j["concat"] = matrix_to_json(t.concat);
    j["output"] = matrix_to_json(t.output);
    return j;
}

}  // namespace attnscope
