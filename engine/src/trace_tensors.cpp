// The trace as safetensors (see trace_tensors.hpp). Shape legend: n, m tokens, D = d_model, d = d_head.
#include "attnscope/trace_tensors.hpp"

#include <cstdint>
#include <functional>
#include <optional>

#include "attnscope/error.hpp"
#include "attnscope/export.hpp"
#include "attnscope/run.hpp"
#include "attnscope/stages.hpp"

namespace attnscope {
namespace {

using nlohmann::json;

// One tensor of the file: its name, shape and how to produce its bytes when it is written.
struct Entry {
    std::string name;
    bool mask = false;  // U8 instead of F32
    std::int64_t rows = 0, cols = 0;
    std::function<void(std::ostream&)> write;
    std::size_t bytes() const { return static_cast<std::size_t>(rows * cols) * (mask ? 1 : sizeof(float)); }
};

void write_floats(std::ostream& out, const Matrix& m) {
    std::vector<float> row(static_cast<std::size_t>(m.cols()));
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
        for (Eigen::Index j = 0; j < m.cols(); ++j) row[j] = static_cast<float>(m(i, j));
        out.write(reinterpret_cast<const char*>(row.data()), static_cast<std::streamsize>(row.size() * sizeof(float)));
    }
}

void write_mask(std::ostream& out, const MaskMatrix& m) {
    std::vector<char> row(static_cast<std::size_t>(m.cols()));
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
        for (Eigen::Index j = 0; j < m.cols(); ++j) row[j] = m(i, j) ? 1 : 0;
        out.write(row.data(), static_cast<std::streamsize>(row.size()));
    }
}

class Walker {
public:
    Walker(const Trace& t, const TraceWriteOptions& o) : t_(t), keep_(o.stages) {
        add("embeddings", t.query.embeddings);
        add("positional", t.query.positional);
        add("input", t.query.input);
        if (t.cross) {
            add("cross.embeddings", t.keys.embeddings);
            add("cross.positional", t.keys.positional);
            add("cross.input", t.keys.input);
        }
        entries_.push_back({"mask", true, t.allowed.rows(), t.allowed.cols(), [&t](std::ostream& out) { write_mask(out, t.allowed); }});
        for (int l = 0; l < t.layer_count(); ++l)
            if (o.layer < 0 || o.layer == l) add_layer(l);
    }
    const std::vector<Entry>& entries() const { return entries_; }

private:
    void add(const std::string& name, const Matrix& m) {
        entries_.push_back({name, false, m.rows(), m.cols(), [&m](std::ostream& out) { write_floats(out, m); }});
    }

    void add_layer(int l) {
        const LayerTrace& layer = t_.layers[l];
        const std::string prefix = "layers." + std::to_string(l) + ".";
        for_each_stage(layer, [&](const char* name, const Matrix& m) {
            const std::string stage = name;
            const bool duplicate = (stage == "key_input" && !t_.cross) || (stage == "exact_output" && !t_.has_variant());
            if (keep_.keeps(stage) && !duplicate) add(prefix + stage, m);
        });
        if (keep_.keeps("weights")) {
            for (const auto& [name, m] : {std::pair{"W_Q", &layer.W_Q}, {"W_K", &layer.W_K}, {"W_V", &layer.W_V}, {"W_O", &layer.W_O}})
                if (m->size() > 0) add(prefix + "weights." + name, *m);
            if (layer.relative_table.size() > 0) add(prefix + "weights.relative_bias_table", layer.relative_table);
        }
        for (int h = 0; h < static_cast<int>(layer.heads.size()); ++h) add_head(l, h, prefix + "heads." + std::to_string(h) + ".");
    }

    void add_head(int l, int h, const std::string& prefix) {
        const HeadTrace& head = t_.layers[l].heads[h];
        const int n = t_.n(), m = t_.m();
        for (const StageInfo& s : head_stages_list()) {
            const std::string name = s.name;
            if (!s.head_matrix || !keep_.keeps(name)) continue;
            const bool recomputed = !head.has_scores() && (name == "scores" || name == "scaled" || name == "logits");
            if (recomputed) {
                entries_.push_back({prefix + name, false, n, m, [this, l, h, field = s.head_matrix](std::ostream& out) {
                                        write_floats(out, recomputed_head(l, h).*field);
                                    }});
            } else if (const Matrix& mat = head.*s.head_matrix; mat.size() > 0) {
                add(prefix + name, mat);
            }
        }
        if (head.variant && keep_.keeps("variant")) {
            const VariantRecord& r = *head.variant;
            if (r.pattern.size() > 0)
                entries_.push_back({prefix + "variant.pattern", true, r.pattern.rows(), r.pattern.cols(),
                                    [&r](std::ostream& out) { write_mask(out, r.pattern); }});
            add(prefix + "variant.exact_attention", r.exact_attention);
            add(prefix + "variant.exact_output", r.exact_output);
        }
    }

    // One head's recomputed stages at a time: scores, scaled and logits of a head come in a row.
    const HeadTrace& recomputed_head(int l, int h) {
        if (!cached_ || cached_l_ != l || cached_h_ != h) {
            cached_ = head_stages(t_, l, h);
            cached_l_ = l, cached_h_ = h;
        }
        return *cached_;
    }

    const Trace& t_;
    StageSelection keep_;
    std::vector<Entry> entries_;
    std::optional<HeadTrace> cached_;
    int cached_l_ = -1, cached_h_ = -1;
};

// Everything that is not a matrix: the JSON trace's header fields.
std::string metadata_json(const Trace& t) {
    json j = trace_header_json(t);
    for (const char* key : {"embeddings", "positional", "input", "mask"}) j.erase(key);
    if (j.contains("cross"))
        for (const char* key : {"embeddings", "positional", "input"}) j["cross"].erase(key);
    return j.dump();
}

}  // namespace

void write_trace_safetensors(const std::string& path, const Trace& t, const TraceWriteOptions& options) {
    if (options.layer >= t.layer_count())
        throw Error("layer " + std::to_string(options.layer) + " does not exist: the trace has " +
                    std::to_string(t.layer_count()) + " layers");
    Walker walker(t, options);
    json header = json::object();
    header["__metadata__"] = {{"schema", kTraceSchema}, {"trace", metadata_json(t)}};
    std::size_t offset = 0;
    for (const Entry& e : walker.entries()) {
        header[e.name] = {{"dtype", e.mask ? "U8" : "F32"}, {"shape", {e.rows, e.cols}}, {"data_offsets", {offset, offset + e.bytes()}}};
        offset += e.bytes();
    }
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');  // keeps the data section 8-byte aligned
    write_file_atomic_with(path, [&](std::ostream& out) {
        std::uint8_t len[8];
        for (int i = 0; i < 8; ++i) len[i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(text.size()) >> (8 * i));
        out.write(reinterpret_cast<const char*>(len), 8);
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        for (const Entry& e : walker.entries()) e.write(out);
    });
}

}  // namespace attnscope
