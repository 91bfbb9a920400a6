// Tests lessons/src/experiments/: each experiment's measured numbers have the property the lessons
// claim for them. Timing is never asserted (machines differ); cost is checked through the FLOP model.
#include "attnscope/lessons/experiments.hpp"

#include <cmath>
#include <set>
#include <string>

#include "attnscope/run.hpp"
#include "../test_helpers.hpp"

namespace as = attnscope;
using as::ExperimentContext;
using as::ExperimentResult;

namespace {

ExperimentContext small_context(as::Positional pe = as::Positional::Sinusoidal) {
    ExperimentContext c;
    c.inputs.text = "the cat sat on the mat";
    c.inputs.d_model = 16;
    c.inputs.heads = 2;
    c.inputs.pe = pe;
    c.query = 3;
    return c;
}

// Every row has as many numbers as there are numeric columns.
void require_well_formed(const ExperimentResult& r) {
    INFO(r.name);
    REQUIRE(!r.rows.empty());
    REQUIRE(!r.finding.empty());
    const size_t numeric = r.columns.size() - (r.row_labels.empty() ? 0 : 1);
    if (!r.row_labels.empty()) REQUIRE(r.row_labels.size() == r.rows.size());
    for (const auto& row : r.rows) {
        REQUIRE(row.size() == numeric);
        for (double v : row) REQUIRE(std::isfinite(v));
    }
    for (const auto& s : r.series) REQUIRE(s.x.size() == s.y.size());
}

}  // namespace

TEST_CASE("row_entropy: uniform rows give ln n, one-hot rows 0") {
    as::Matrix w(2, 4);
    w << 0.25, 0.25, 0.25, 0.25, 0, 1, 0, 0;
    REQUIRE(test::near(as::row_entropy(w, 0), std::log(4.0), 1e-15));
    REQUIRE(as::row_entropy(w, 1) == 0.0);
}

TEST_CASE("entropy_vs_dk: unscaled entropy collapses with d_k, scaled stays flat") {
    const ExperimentResult r = as::entropy_vs_dk();
    require_well_formed(r);
    for (size_t i = 1; i < r.rows.size(); ++i) {
        INFO("d_k = " << r.rows[i][0]);
        REQUIRE(r.rows[i][2] < r.rows[i - 1][2]);                  // unscaled falls
        REQUIRE(std::abs(r.rows[i][1] - r.rows[0][1]) < 0.25);     // scaled stays within a quarter nat
        REQUIRE(r.rows[i][1] > r.rows[i][2]);
    }
    REQUIRE(r.values.at("unscaled_last") < 0.5);
    REQUIRE(r.values.at("top_weight_unscaled_last") > 0.8);
}

TEST_CASE("scale_by_n: dividing by n flattens attention as n grows, 1/sqrt(d_k) does not") {
    const ExperimentResult r = as::scale_by_n();
    require_well_formed(r);
    for (size_t i = 1; i < r.rows.size(); ++i) REQUIRE(r.rows[i][2] < r.rows[i - 1][2]);  // spread under 1/n shrinks
    for (const auto& row : r.rows) REQUIRE(std::abs(row[1] - 1.0) < 0.3);                // spread under 1/sqrt(d_k) ~ 1
    REQUIRE(r.values.at("focus_n_last") < 1.1);       // the top key gets about the uniform weight
    REQUIRE(r.values.at("focus_sqrt_last") > 5.0);    // and still stands out with the right scale
}

TEST_CASE("temperature_sweep: entropy rises with T and the top key never changes") {
    const ExperimentResult r = as::temperature_sweep(small_context());
    require_well_formed(r);
    for (size_t i = 1; i < r.rows.size(); ++i) {
        REQUIRE(r.rows[i][1] > r.rows[i - 1][1]);
        REQUIRE(r.rows[i][2] < r.rows[i - 1][2]);
        REQUIRE(r.rows[i][3] == r.rows[0][3]);
    }
}

TEST_CASE("cost_vs_n: the FLOPs grow as n^2 and the scaling adds exactly n^2 of them") {
    const ExperimentResult r = as::cost_vs_n({32, 64, 128, 256}, 16, 2);
    require_well_formed(r);
    REQUIRE(std::abs(r.values.at("flops_exponent") - 2.0) < 0.05);
    for (const auto& row : r.rows) {
        const double n = row[0];
        REQUIRE(row[4] - row[5] == n * n);                 // scaled minus unscaled FLOPs
        REQUIRE(row[4] == 4.0 * n * n * 16 + 3.0 * n * n); // compare.hpp's dense cost, one head
        REQUIRE(row[6] == 8.0 * n * n / 1e6);
        REQUIRE(row[1] > 0);
        REQUIRE(row[2] > 0);
    }
}

TEST_CASE("shared_qk: W_K = W_Q makes every head's scores symmetric") {
    for (as::Positional pe : {as::Positional::Sinusoidal, as::Positional::Rope, as::Positional::Alibi}) {
        INFO("pe = " << as::name(pe));
        const ExperimentResult r = as::shared_qk(small_context(pe));
        require_well_formed(r);
        REQUIRE(r.values.at("max_asymmetry_shared") <= 1e-12);
        REQUIRE(r.values.at("max_asymmetry_separate") > 1e-3);
        REQUIRE(r.values.at("self_top_shared") >= r.values.at("self_top_separate"));
    }
}

TEST_CASE("with_matrix_copied: run() then sees W_K equal to W_Q, and other edits survive") {
    as::Inputs in = small_context().inputs;
    in.edits.push_back({"W_V", 0, 0, 2.5});
    in.edits.push_back({"W_K", 1, 1, 9.0});  // replaced by the copy
    const as::Trace t = as::run(as::with_matrix_copied(in, "W_K", "W_Q"));
    test::require_near(t.layers[0].W_K, t.layers[0].W_Q, 0.0);
    REQUIRE(t.layers[0].W_V(0, 0) == 2.5);
    REQUIRE_ERROR(as::with_matrix_copied(in, "W_K", "embeddings"), "shapes differ");
    REQUIRE_ERROR(as::with_matrix_copied(in, "W_K", "nonsense"), "editable matrices");
}

TEST_CASE("where_pe_enters: PE is added to the input only, output is not out_nope + PE") {
    const ExperimentResult r = as::where_pe_enters(small_context());
    require_well_formed(r);
    REQUIRE(r.values.at("input_gap") < 1e-12);
    REQUIRE(r.values.at("output_change") > 1e-3);
    REQUIRE(r.values.at("claim_gap") > 1e-3);
    REQUIRE(r.values.at("pe_norm") > 1.0);
}

TEST_CASE("gpt_causal: no weight above the diagonal under a causal mask") {
    const ExperimentResult r = as::gpt_causal(small_context());
    require_well_formed(r);
    REQUIRE(r.values.at("max_upper_causal") == 0.0);
    REQUIRE(r.values.at("min_upper_encoder") > 0.0);
    REQUIRE(r.values.at("row0_self") == 1.0);
    REQUIRE(r.values.at("hidden_cells") == 15.0);
}

TEST_CASE("permutation_equivariance: exact without a positional encoding, broken by every encoding") {
    const ExperimentResult r = as::permutation_equivariance(small_context());
    require_well_formed(r);
    REQUIRE(r.rows.size() == as::kAllPositional.size());
    REQUIRE(r.values.at("none_gap") < 1e-12);
    for (as::Positional pe : as::kAllPositional) {
        if (pe == as::Positional::None) continue;
        INFO("pe = " << as::name(pe));
        REQUIRE(r.values.at(std::string(as::name(pe)) + "_gap") > 1e-6);
    }
    ExperimentContext one = small_context();
    one.inputs.text = "cat";
    REQUIRE_ERROR(as::permutation_equivariance(one), "at least 2 tokens");
}

TEST_CASE("head_profiles: one row per head, shares between 0 and 1") {
    const ExperimentResult r = as::head_profiles(small_context());
    require_well_formed(r);
    REQUIRE(r.rows.size() == 2);
    for (const auto& row : r.rows)
        for (int c = 1; c <= 3; ++c) REQUIRE((row[c] >= 0 && row[c] <= 1));
}

TEST_CASE("low_rank_cost: Linformer's FLOPs grow linearly in k and stay below dense at n = 1000") {
    const ExperimentResult r = as::low_rank_cost();
    require_well_formed(r);
    const double per_k = r.rows[0][1] / r.rows[0][0];
    for (const auto& row : r.rows) {
        REQUIRE(row[1] / row[0] == Approx(per_k).epsilon(1e-12));  // FLOPs = k * constant
        REQUIRE(row[2] == r.rows[0][2]);                           // dense does not depend on k
        REQUIRE(row[5] < row[6]);                                  // cheaper than dense at n = 1000
        REQUIRE(row[7] == 1000.0 * row[0]);
        REQUIRE(row[3] >= row[4] - 1e-12);                         // no better than the best rank-k matrix
    }
    REQUIRE(std::abs(r.values.at("flops_exponent_in_k") - 1.0) < 1e-9);
    REQUIRE(r.values.at("error_last") < r.values.at("error_first"));
}

TEST_CASE("variant_tradeoffs: every variant is cheaper than dense and not exact") {
    const ExperimentResult r = as::variant_tradeoffs();
    require_well_formed(r);
    for (size_t i = 0; i < r.rows.size(); ++i) {
        INFO(r.row_labels[i]);
        REQUIRE(r.rows[i][0] < 1.0);
        REQUIRE(r.rows[i][1] > 0.0);
    }
}

TEST_CASE("run_experiment: every listed experiment runs by name, unknown names are refused") {
    std::set<std::string> names;
    for (const as::ExperimentInfo& e : as::experiments()) {
        names.insert(e.name);
        REQUIRE(as::is_experiment(e.name));
    }
    REQUIRE(names.size() == as::experiments().size());
    const ExperimentResult r = as::run_experiment("gpt_causal", small_context());
    REQUIRE(r.name == "gpt_causal");
    REQUIRE(!as::is_experiment("nonsense"));
    REQUIRE_ERROR(as::run_experiment("nonsense", small_context()), "unknown experiment \"nonsense\": choose one of entropy_vs_dk");
}
