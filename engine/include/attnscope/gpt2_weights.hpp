#pragma once
// GPT-2's weights, listed once. Each row of kGpt2WeightTable is one Hugging Face tensor (per layer or
// not), its shape as a function of the config, how training and synthetic checkpoints initialise it,
// whether AdamW decays it, and where it lives in Gpt2Weights. Loading, saving, shape checks,
// random_gpt2, the trainer's flat parameter layout, init_gpt2, the weight-decay mask and the
// conversions between the trainer and the loader all walk this table: adding a weight is one row.
// Shape legend: D = n_embd, V = vocab_size, C = n_ctx (n_positions), L = n_layer.
// Order: file order, and the trainer's flat order with each per-layer row stacked (L, rows[, cols]).
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "attnscope/gpt2.hpp"

namespace attnscope {

// One dimension of a weight: a multiple of one config size.
struct Gpt2Dim {
    enum Base { none, embd, vocab, ctx } base = none;
    int times = 1;
    constexpr std::int64_t of(const Gpt2Config& c) const {
        switch (base) {
            case embd: return std::int64_t{times} * c.n_embd;
            case vocab: return std::int64_t{times} * c.vocab_size;
            case ctx: return std::int64_t{times} * c.n_ctx;
            case none: break;
        }
        return 0;
    }
};

// init_gpt2's initialisation (GPT-2's): N(0, 0.02), N(0, 0.02 / sqrt(2 L)) for the projections that
// add into the residual stream, ones (LayerNorm gains) or zeros (biases).
enum class TrainInit { normal, residual_normal, ones, zeros };

// random_gpt2's initialisation (synthetic checkpoints): GPT-2's scale, but with layer norms and
// biases perturbed so that tests exercise them, and sharper query/key weights so heads attend sharply.
enum class SynthInit {
    weight,    // N(0, 0.02)
    position,  // N(0, 0.01)
    qkv,       // N(0, 0.2 / sqrt(D / 64))
    gain,      // N(1, 0.1)
    shift,     // N(0, 0.1)   LayerNorm biases
    bias,      // N(0, 0.02)  other biases
};

struct Gpt2WeightRow {
    std::string_view name;  // Hugging Face name; "{i}" stands for the layer: "h.{i}.attn.c_attn.weight"
    Gpt2Dim rows, cols;     // cols.base == none: a vector of `rows` entries
    TrainInit init;
    SynthInit synth;
    bool decay;             // AdamW's weight decay applies
    // Where it lives: exactly one of these is set (block_*: per layer, in Gpt2Weights::h[i]).
    MatrixF Gpt2Weights::*model_matrix = nullptr;
    VectorF Gpt2Weights::*model_vector = nullptr;
    MatrixF Gpt2Block::*block_matrix = nullptr;
    VectorF Gpt2Block::*block_vector = nullptr;
    // The stream random_gpt2 seeds this tensor from, when it is not the tensor's name.
    std::string_view synth_stream = {};

    constexpr bool per_layer() const { return block_matrix != nullptr || block_vector != nullptr; }
    constexpr bool is_matrix() const { return cols.base != Gpt2Dim::none; }
    // Entries of one tensor (one layer's, for a per-layer row).
    constexpr std::int64_t count(const Gpt2Config& c) const { return rows.of(c) * (is_matrix() ? cols.of(c) : 1); }
    // Entries of the row in the trainer's flat buffer: every layer's, stacked.
    constexpr std::int64_t stacked_count(const Gpt2Config& c) const { return count(c) * (per_layer() ? c.n_layer : 1); }
    // The name with "{i}" replaced by the layer.
    std::string name_at(int layer) const {
        const std::size_t at = name.find("{i}");
        if (at == std::string_view::npos) return std::string(name);
        return std::string(name.substr(0, at)) + std::to_string(layer) + std::string(name.substr(at + 3));
    }
};

// The table's vocabulary: sizes, initialisations and the four kinds of row.
namespace gpt2_table {
constexpr Gpt2Dim D{Gpt2Dim::embd, 1}, D3{Gpt2Dim::embd, 3}, D4{Gpt2Dim::embd, 4}, V{Gpt2Dim::vocab, 1},
    C{Gpt2Dim::ctx, 1};
constexpr bool decay = true, no_decay = false;
using W = Gpt2Weights;
using B = Gpt2Block;
using T = TrainInit;
using S = SynthInit;
constexpr Gpt2WeightRow model(std::string_view name, Gpt2Dim r, Gpt2Dim c, MatrixF W::*m, T t, S s, bool d,
                              std::string_view stream = {}) {
    return {name, r, c, t, s, d, m, nullptr, nullptr, nullptr, stream};
}
constexpr Gpt2WeightRow model(std::string_view name, Gpt2Dim r, VectorF W::*v, T t, S s, bool d) {
    return {name, r, {}, t, s, d, nullptr, v, nullptr, nullptr, {}};
}
constexpr Gpt2WeightRow layer(std::string_view name, Gpt2Dim r, Gpt2Dim c, MatrixF B::*m, T t, S s, bool d) {
    return {name, r, c, t, s, d, nullptr, nullptr, m, nullptr, {}};
}
constexpr Gpt2WeightRow layer(std::string_view name, Gpt2Dim r, VectorF B::*v, T t, S s, bool d) {
    return {name, r, {}, t, s, d, nullptr, nullptr, nullptr, v, {}};
}

// clang-format off
inline constexpr Gpt2WeightRow kGpt2WeightTable[] = {
    //     Hugging Face name           rows cols  where in Gpt2Weights   init_gpt2           random_gpt2  AdamW
    model("wte.weight",               V,  D,  &W::wte,                T::normal,          S::weight,   decay, "wte"),
    model("wpe.weight",               C,  D,  &W::wpe,                T::normal,          S::position, decay, "wpe"),
    layer("h.{i}.ln_1.weight",        D,      &B::ln_1_weight,        T::ones,            S::gain,     no_decay),
    layer("h.{i}.ln_1.bias",          D,      &B::ln_1_bias,          T::zeros,           S::shift,    no_decay),
    layer("h.{i}.attn.c_attn.weight", D,  D3, &B::attn_c_attn_weight, T::normal,          S::qkv,      decay),
    layer("h.{i}.attn.c_attn.bias",   D3,     &B::attn_c_attn_bias,   T::zeros,           S::bias,     no_decay),
    layer("h.{i}.attn.c_proj.weight", D,  D,  &B::attn_c_proj_weight, T::residual_normal, S::weight,   decay),
    layer("h.{i}.attn.c_proj.bias",   D,      &B::attn_c_proj_bias,   T::zeros,           S::bias,     no_decay),
    layer("h.{i}.ln_2.weight",        D,      &B::ln_2_weight,        T::ones,            S::gain,     no_decay),
    layer("h.{i}.ln_2.bias",          D,      &B::ln_2_bias,          T::zeros,           S::shift,    no_decay),
    layer("h.{i}.mlp.c_fc.weight",    D,  D4, &B::mlp_c_fc_weight,    T::normal,          S::weight,   decay),
    layer("h.{i}.mlp.c_fc.bias",      D4,     &B::mlp_c_fc_bias,      T::zeros,           S::bias,     no_decay),
    layer("h.{i}.mlp.c_proj.weight",  D4, D,  &B::mlp_c_proj_weight,  T::residual_normal, S::weight,   decay),
    layer("h.{i}.mlp.c_proj.bias",    D,      &B::mlp_c_proj_bias,    T::zeros,           S::bias,     no_decay),
    model("ln_f.weight",              D,      &W::ln_f_weight,        T::ones,            S::gain,     no_decay),
    model("ln_f.bias",                D,      &W::ln_f_bias,          T::zeros,           S::shift,    no_decay),
};
// clang-format on
}  // namespace gpt2_table
// (Synthetic checkpoints seed wte and wpe from the streams "wte" and "wpe", as they always have.)
using gpt2_table::kGpt2WeightTable;

inline constexpr std::span<const Gpt2WeightRow> gpt2_weight_table() { return kGpt2WeightTable; }

// The row named `name` (a table name, with "{i}" for per-layer rows); -1 when there is none.
constexpr int gpt2_weight_row(std::string_view name) {
    for (std::size_t r = 0; r < std::size(kGpt2WeightTable); ++r)
        if (kGpt2WeightTable[r].name == name) return static_cast<int>(r);
    return -1;
}

// Parameters of a model with config c (every row, every layer).
constexpr std::int64_t gpt2_parameter_count(const Gpt2Config& c) {
    std::int64_t n = 0;
    for (const Gpt2WeightRow& row : kGpt2WeightTable) n += row.stacked_count(c);
    return n;
}
// Tensors of a model with config c (what a model.safetensors holds, the tied lm_head aside).
constexpr int gpt2_tensor_count(const Gpt2Config& c) {
    int n = 0;
    for (const Gpt2WeightRow& row : kGpt2WeightTable) n += row.per_layer() ? c.n_layer : 1;
    return n;
}

// One tensor as walked: its row (and index in the table), its layer (-1 for a row that is not per
// layer), its name and the shape the config gives it (cols = 0 for a vector).
struct Gpt2WeightRef {
    const Gpt2WeightRow& row;
    int index, layer;
    std::string name;
    std::int64_t rows, cols;
};

// Visits every tensor of w in file order: visit(const Gpt2WeightRef&, MatrixF& or VectorF&), const
// when w is. A run of per-layer rows is walked layer by layer (h.0.*, then h.1.*, ...); w.h must
// hold n_layer blocks.
template <class Weights, class Visit>
void for_each_gpt2_weight(Weights& w, Visit&& visit) {
    const Gpt2Config& c = w.config;
    const auto table = gpt2_weight_table();
    const int n = static_cast<int>(table.size());
    const auto one = [&](int r, int layer) {
        const Gpt2WeightRow& row = table[r];
        const Gpt2WeightRef ref{row, r, layer, row.name_at(layer), row.rows.of(c), row.is_matrix() ? row.cols.of(c) : 0};
        if (row.model_matrix) visit(ref, w.*row.model_matrix);
        if (row.model_vector) visit(ref, w.*row.model_vector);
        if (row.block_matrix) visit(ref, w.h[layer].*row.block_matrix);
        if (row.block_vector) visit(ref, w.h[layer].*row.block_vector);
    };
    for (int r = 0; r < n;) {
        if (!table[r].per_layer()) {
            one(r++, -1);
            continue;
        }
        int end = r;
        while (end < n && table[end].per_layer()) ++end;
        for (int layer = 0; layer < c.n_layer; ++layer)
            for (int k = r; k < end; ++k) one(k, layer);
        r = end;
    }
}

}  // namespace attnscope
