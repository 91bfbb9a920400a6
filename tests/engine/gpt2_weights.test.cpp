// Tests engine/include/attnscope/gpt2_weights.hpp: the weight table and what derives from it
// (the trainer's flat layout, init_gpt2, the weight-decay mask, to_gpt2 / from_gpt2, random_gpt2).
#include "attnscope/gpt2_weights.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "attnscope/random.hpp"
#include "attnscope/train.hpp"

using namespace attnscope;
using namespace attnscope::train;

namespace {

Gpt2Config small_config() { return Gpt2Config{2, 2, 8, 16, 32}; }

template <class F>
void sums(const std::vector<F>& v, double& sum, double& squares) {
    sum = 0, squares = 0;
    for (F x : v) sum += static_cast<double>(x), squares += static_cast<double>(x) * x;
}

}  // namespace

TEST_CASE("the weight table counts GPT-2 small's 124,439,808 parameters", "[gpt2][train]") {
    const Gpt2Config c{12, 12, 768, 1024, 50257};
    const std::int64_t L = 12, D = 768, C = 1024, V = 50257;
    // Embeddings; per block two LayerNorms (4D), c_attn (3D^2 + 3D), attn c_proj (D^2 + D),
    // c_fc (4D^2 + 4D) and mlp c_proj (4D^2 + D); the final LayerNorm.
    const std::int64_t closed_form = V * D + C * D + L * (12 * D * D + 13 * D) + 2 * D;
    REQUIRE(closed_form == 124439808);
    CHECK(gpt2_parameter_count(c) == closed_form);
    CHECK(param_layout(c).total == closed_form);
    CHECK(gpt2_tensor_count(c) == 4 + 12 * 12);
}

TEST_CASE("every table row lives in exactly one place and per-layer rows name their layer", "[gpt2]") {
    for (const Gpt2WeightRow& row : gpt2_weight_table()) {
        INFO(std::string(row.name));
        const int places = (row.model_matrix != nullptr) + (row.model_vector != nullptr) + (row.block_matrix != nullptr) +
                           (row.block_vector != nullptr);
        CHECK(places == 1);
        CHECK(row.is_matrix() == (row.model_matrix != nullptr || row.block_matrix != nullptr));
        CHECK(row.per_layer() == (row.name.find("{i}") != std::string_view::npos));
    }
}

TEST_CASE("for_each_gpt2_weight walks the tensors in file order: embeddings, h.0.*, h.1.*, ln_f", "[gpt2]") {
    Gpt2Weights w = random_gpt2(small_config(), 1);
    std::vector<std::string> names;
    for_each_gpt2_weight(w, [&](const Gpt2WeightRef& ref, auto& t) {
        names.push_back(ref.name);
        CHECK(t.size() == ref.row.count(w.config));
    });
    REQUIRE(static_cast<int>(names.size()) == gpt2_tensor_count(w.config));
    CHECK(names[0] == "wte.weight");
    CHECK(names[1] == "wpe.weight");
    CHECK(names[2] == "h.0.ln_1.weight");
    CHECK(names[13] == "h.0.mlp.c_proj.bias");
    CHECK(names[14] == "h.1.ln_1.weight");
    CHECK(names[25] == "h.1.mlp.c_proj.bias");
    CHECK(names[26] == "ln_f.weight");
    CHECK(names[27] == "ln_f.bias");
}

TEST_CASE("param_layout: the table's rows, contiguous and stacked per layer, summing to the table's count", "[train]") {
    for (const Gpt2Config& c : {small_config(), Gpt2Config{3, 3, 12, 16, 512}, Gpt2Config{12, 12, 768, 1024, 50257}}) {
        const ParamLayout p = param_layout(c);
        const auto table = gpt2_weight_table();
        REQUIRE(p.offsets.size() == table.size());
        long at = 0;
        for (std::size_t r = 0; r < table.size(); ++r) {
            INFO(std::string(table[r].name));
            CHECK(p.offsets[r] == at);
            const long expected = static_cast<long>(table[r].rows.of(c) * (table[r].is_matrix() ? table[r].cols.of(c) : 1) *
                                                    (table[r].per_layer() ? c.n_layer : 1));
            CHECK(table[r].stacked_count(c) == expected);
            at += expected;
        }
        CHECK(at == p.total);
        CHECK(p.total == gpt2_parameter_count(c));
        // The named offsets are the rows' offsets, in llm.c's order.
        const long C = c.n_embd, L = c.n_layer;
        CHECK(p.wte == 0);
        CHECK(p.wpe == static_cast<long>(c.vocab_size) * C);
        CHECK(p.ln1w == p.wpe + static_cast<long>(c.n_ctx) * C);
        CHECK(p.ln1b == p.ln1w + L * C);
        CHECK(p.qkvw == p.ln1b + L * C);
        CHECK(p.qkvb == p.qkvw + L * C * 3 * C);
        CHECK(p.attprojw == p.qkvb + L * 3 * C);
        CHECK(p.attprojb == p.attprojw + L * C * C);
        CHECK(p.ln2w == p.attprojb + L * C);
        CHECK(p.ln2b == p.ln2w + L * C);
        CHECK(p.fcw == p.ln2b + L * C);
        CHECK(p.fcb == p.fcw + L * C * 4 * C);
        CHECK(p.fcprojw == p.fcb + L * 4 * C);
        CHECK(p.fcprojb == p.fcprojw + L * 4 * C * C);
        CHECK(p.lnfw == p.fcprojb + L * C);
        CHECK(p.lnfb == p.lnfw + C);
        CHECK(p.total == p.lnfb + C);
    }
}

TEST_CASE("weight decay covers exactly the 2-D matrices", "[train]") {
    const std::set<std::string> matrices = {"wte.weight", "wpe.weight", "h.{i}.attn.c_attn.weight",
                                            "h.{i}.attn.c_proj.weight", "h.{i}.mlp.c_fc.weight",
                                            "h.{i}.mlp.c_proj.weight"};
    for (const Gpt2WeightRow& row : gpt2_weight_table()) {
        INFO(std::string(row.name));
        CHECK(row.decay == (matrices.count(std::string(row.name)) == 1));
        CHECK(row.decay == row.is_matrix());
    }
    const Gpt2Config c = small_config();
    const ParamLayout p = param_layout(c);
    const std::vector<char> mask = weight_decay_mask(c);
    REQUIRE(static_cast<long>(mask.size()) == p.total);
    const auto decayed = [&](long i) {
        const auto in = [i](long begin, long end) { return i >= begin && i < end; };
        return in(p.wte, p.ln1w) || in(p.qkvw, p.qkvb) || in(p.attprojw, p.attprojb) || in(p.fcw, p.fcb) ||
               in(p.fcprojw, p.fcprojb);
    };
    long wrong = 0;
    for (long i = 0; i < p.total; ++i) wrong += (mask[i] != 0) != decayed(i);
    CHECK(wrong == 0);
}

TEST_CASE("from_gpt2(to_gpt2(model)) gives back every parameter exactly, and to_gpt2(from_gpt2(w)) every tensor", "[train]") {
    const Gpt2Config c{3, 3, 12, 16, 40};
    Model<float> m(c);
    Rng rng(17);
    for (float& x : m.params()) x = static_cast<float>(rng.normal());  // every entry distinct, none 0 or 1
    const Model<float> back = from_gpt2(to_gpt2(m));
    REQUIRE(back.params() == m.params());

    const Gpt2Weights w = random_gpt2(c, 4);
    const Gpt2Weights again = to_gpt2(from_gpt2(w));
    CHECK(again.wte == w.wte);
    CHECK(again.wpe == w.wpe);
    for (int l = 0; l < c.n_layer; ++l) {
        CHECK(again.h[l].attn_c_attn_weight == w.h[l].attn_c_attn_weight);
        CHECK(again.h[l].mlp_c_proj_bias == w.h[l].mlp_c_proj_bias);
        CHECK(again.h[l].ln_2_weight == w.h[l].ln_2_weight);
    }
    CHECK(again.ln_f_bias == w.ln_f_bias);
}

// The values below were recorded from init_gpt2 and random_gpt2 before they walked the weight table:
// trained and synthetic models stay the same, bit for bit.
TEST_CASE("init_gpt2 gives the same parameters as before the weight table", "[train]") {
    const Gpt2Config c = small_config();
    Model<double> m(c);
    init_gpt2(m, 42);
    const std::vector<double>& w = m.params();
    REQUIRE(w.size() == 2144);
    double sum = 0, squares = 0;
    sums(w, sum, squares);
    CHECK(sum == Approx(41.513841584841366).epsilon(1e-13));
    CHECK(squares == Approx(40.55523205929903).epsilon(1e-13));
    CHECK(w[0] == 0.022960942232698293);
    CHECK(w[1] == -0.007536415392536089);
    CHECK(w[256] == 0.015538983397964293);   // wpe[0]
    CHECK(w[421] == 0.0019788340399360159);  // qkvw + 5
    CHECK(w[851] == 0.01778514579751965);    // attprojw + 3 (residual-scaled)
    CHECK(w[1607] == 0.0097065271690063293); // fcprojw + 7 (residual-scaled)
    const ParamLayout& p = m.layout();
    CHECK(w[p.ln1w] == 1.0);
    CHECK(w[p.ln1b] == 0.0);
    CHECK(w[p.qkvb] == 0.0);
    CHECK(w[p.lnfw + 7] == 1.0);
    CHECK(w[p.total - 1] == 0.0);

    Model<float> mf(c);
    init_gpt2(mf, 42);
    sums(mf.params(), sum, squares);
    CHECK(sum == Approx(41.513841585352793).epsilon(1e-13));
    CHECK(squares == Approx(40.555232059354353).epsilon(1e-13));
    CHECK(mf.params()[421] == 0.00197883393f);
}

TEST_CASE("random_gpt2 gives the same weights as before the weight table", "[gpt2]") {
    const Gpt2Weights w = random_gpt2(small_config(), 7);
    double sum = 0, squares = 0;
    for_each_gpt2_weight(w, [&](const Gpt2WeightRef&, const auto& t) {
        for (Eigen::Index i = 0; i < t.size(); ++i) {
            const double x = t.data()[i];
            sum += x, squares += x * x;
        }
    });
    CHECK(sum == Approx(35.055106773972511).epsilon(1e-13));
    CHECK(squares == Approx(162.53369840461954).epsilon(1e-13));
    CHECK(w.wte(0, 0) == -0.00670462707f);
    CHECK(w.h[1].ln_1_weight[0] == 0.858776212f);
    CHECK(w.ln_f_bias[3] == -0.0700635388f);
}
