// Tests engine/src/trace_json.cpp: the trace JSON (schema attnscope.trace/2) holds enough to
// recompute every stage. Each case writes a trace with to_json, dumps it to text, parses it back,
// and recomputes Q/K/V, scores, biases, logits, attention, outputs, the mean attention and the
// rollout with naive loops here, from `input`, the layer's `weights` and `config` alone.
#include "attnscope/trace_json.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "attnscope/error.hpp"
#include "attnscope/run.hpp"
#include "../test_helpers.hpp"

using attnscope::Inputs;
using attnscope::Mask;
using attnscope::Matrix;
using attnscope::Positional;
using nlohmann::json;
using test::ref::Mat;

namespace {

Mat mat(const json& rows) { return test::ref::from_eigen(attnscope::matrix_from_json(rows)); }

// Applies the config's edits of one matrix (the engine applies them right after computing it).
void apply_edits(Mat& m, const json& config, const std::string& name) {
    for (const json& e : config.at("edits"))
        if (e.at("matrix") == name) m.at(e.at("row").get<int>()).at(e.at("col").get<int>()) = e.at("value").get<double>();
}

// Recomputes every stage of a parsed trace and compares it with what the trace says.
void recompute_and_compare(const json& j) {
    using namespace test::ref;
    REQUIRE(j.at("schema") == "attnscope.trace/2");
    const json& config = j.at("config");
    // One shape for every model: the synthetic engine is one layer; the layer shown is view state.
    REQUIRE(config.at("layers") == 1);
    REQUIRE_FALSE(config.contains("layer"));
    for (const char* gone : {"weights", "heads", "concat", "output", "exact_output", "comparison"}) {
        INFO("top-level " << gone << " moved into layers[]");
        REQUIRE_FALSE(j.contains(gone));
    }
    REQUIRE(j.at("layers").size() == 1u);
    const json& L = j.at("layers").at(0);
    REQUIRE(L.at("index") == 0);
    const int d_model = config.at("d_model"), H = config.at("heads"), d = config.at("d_head");
    const std::string pe = config.at("pe"), mask_name = config.at("mask");
    const double T = config.at("temperature");
    const bool cross = j.contains("cross");
    const json& kv = cross ? j.at("cross") : j;
    const std::vector<std::string> tokens = j.at("tokens"), key_tokens = kv.at("tokens");
    const int n = static_cast<int>(tokens.size()), m = static_cast<int>(key_tokens.size());
    REQUIRE(d == d_model / H);
    REQUIRE(config.at("n") == n);
    REQUIRE(config.at("m") == m);
    REQUIRE(config.at("text").is_string());
    REQUIRE(config.at("seed").is_number_unsigned());

    // input = embeddings + positional (then any input edits), on both sides.
    for (const auto& [side, prefix] : {std::pair<const json*, std::string>{&j, ""}, {&kv, "cross_"}}) {
        if (!cross && !prefix.empty()) continue;
        const Mat E = mat(side->at("embeddings")), P = mat(side->at("positional"));
        const int rows = static_cast<int>(E.size());
        Mat X = zeros(rows, d_model);
        for (int i = 0; i < rows; ++i)
            for (int c = 0; c < d_model; ++c) X[i][c] = E[i][c] + P[i][c];
        apply_edits(X, config, prefix + "input");
        INFO(prefix << "input = embeddings + positional");
        test::require_near(to_eigen(mat(side->at("input"))), to_eigen(X), 1e-15);
    }

    // The layer's inputs: the residual stream is the text's input; the projections see it (and the
    // key/value projections the cross text's input, written only for cross-attention).
    test::require_near(to_eigen(mat(L.at("input"))), to_eigen(mat(j.at("input"))), 0.0);
    test::require_near(to_eigen(mat(L.at("attention_input"))), to_eigen(mat(j.at("input"))), 0.0);
    if (cross)
        test::require_near(to_eigen(mat(L.at("key_input"))), to_eigen(mat(kv.at("input"))), 0.0);
    else
        REQUIRE_FALSE(L.contains("key_input"));

    // Projections, then the config's Q/K/V edits.
    const Mat X = mat(L.at("attention_input")), Xk = cross ? mat(L.at("key_input")) : X;
    const json& w = L.at("weights");
    Mat Q = matmul(X, mat(w.at("W_Q"))), K = matmul(Xk, mat(w.at("W_K"))), V = matmul(Xk, mat(w.at("W_V")));
    apply_edits(Q, config, "Q");
    apply_edits(K, config, "K");
    apply_edits(V, config, "V");
    test::require_near(to_eigen(mat(L.at("Q"))), to_eigen(Q), 1e-12);
    test::require_near(to_eigen(mat(L.at("K"))), to_eigen(K), 1e-12);
    test::require_near(to_eigen(mat(L.at("V"))), to_eigen(V), 1e-12);

    // Mask from the tokens: causal hides j > i; padding masks hide "<pad>" keys.
    const bool causal = mask_name == "causal" || mask_name == "causal+padding";
    const bool padding = mask_name == "padding" || mask_name == "causal+padding";
    std::vector<std::vector<bool>> allowed(n, std::vector<bool>(m));
    for (int i = 0; i < n; ++i)
        for (int k = 0; k < m; ++k) {
            allowed[i][k] = !(causal && k > i) && !(padding && key_tokens[k] == "<pad>");
            INFO("mask(" << i << "," << k << ")");
            REQUIRE(j.at("mask").at(i).at(k).get<bool>() == allowed[i][k]);
        }

    if (pe == "alibi") {
        const std::vector<double> slopes = w.at("alibi_slopes");
        test::require_near(slopes, alibi_slopes(H), 1e-15);
    } else {
        REQUIRE_FALSE(w.contains("alibi_slopes"));
    }
    if (pe == "relative") {
        REQUIRE(w.at("relative_bias_table").size() == static_cast<size_t>(H));
        REQUIRE(w.at("relative_bias_table").at(0).size() == 32u);
    } else {
        REQUIRE_FALSE(w.contains("relative_bias_table"));
    }

    REQUIRE(L.at("heads").size() == static_cast<size_t>(H));
    Mat concat = zeros(n, d_model);
    Mat mean_attention = zeros(n, m);
    for (int h = 0; h < H; ++h) {
        INFO("head " << h);
        const json& jh = L.at("heads").at(h);
        REQUIRE(jh.at("kv_head") == h);
        REQUIRE_FALSE(jh.contains("variant"));  // dense: no variant record
        Mat q = columns(Q, h * d, d), k = columns(K, h * d, d);
        const Mat v = columns(V, h * d, d);
        if (pe == "rope") {
            for (int i = 0; i < n; ++i) q[i] = rope(q[i], i);
            for (int i = 0; i < m; ++i) k[i] = rope(k[i], i);
        }
        Mat scores = zeros(n, m), bias = zeros(n, m), scaled = zeros(n, m), logits = zeros(n, m);
        Mat attention = zeros(n, m);
        Mat out = zeros(n, d);
        for (int i = 0; i < n; ++i) {
            for (int c = 0; c < m; ++c) {
                for (int t = 0; t < d; ++t) scores[i][c] += q[i][t] * k[c][t];
                if (pe == "alibi") bias[i][c] = -w.at("alibi_slopes").at(h).get<double>() * std::abs(i - c);
                if (pe == "relative")
                    bias[i][c] = w.at("relative_bias_table").at(h).at(t5_bucket(c - i, !causal)).get<double>();
                scaled[i][c] = (scores[i][c] / std::sqrt(static_cast<double>(d)) + bias[i][c]) / T;
                logits[i][c] = allowed[i][c] ? scaled[i][c] : -INFINITY;
                // masked logits are null in the JSON, and only those
                REQUIRE(jh.at("logits").at(i).at(c).is_null() == !allowed[i][c]);
            }
            attention[i] = softmax(logits[i]);
            for (int c = 0; c < m; ++c) mean_attention[i][c] += attention[i][c] / H;
            for (int c = 0; c < m; ++c)
                for (int t = 0; t < d; ++t) out[i][t] += attention[i][c] * v[c][t];
            for (int t = 0; t < d; ++t) concat[i][h * d + t] = out[i][t];
        }
        test::require_near(to_eigen(mat(jh.at("Q"))), to_eigen(q), 1e-12);
        test::require_near(to_eigen(mat(jh.at("K"))), to_eigen(k), 1e-12);
        test::require_near(to_eigen(mat(jh.at("V"))), to_eigen(v), 1e-12);
        test::require_near(to_eigen(mat(jh.at("scores"))), to_eigen(scores), 1e-11);
        if (pe == "alibi" || pe == "relative")
            test::require_near(to_eigen(mat(jh.at("bias"))), to_eigen(bias), 1e-15);
        else
            REQUIRE_FALSE(jh.contains("bias"));
        test::require_near(to_eigen(mat(jh.at("scaled"))), to_eigen(scaled), 1e-11);  // before the mask
        test::require_near(to_eigen(mat(jh.at("logits"))), to_eigen(logits), 1e-11);
        test::require_near(to_eigen(mat(jh.at("attention"))), to_eigen(attention), 1e-11);
        test::require_near(to_eigen(mat(jh.at("output"))), to_eigen(out), 1e-11);
    }
    test::require_near(to_eigen(mat(L.at("concat"))), to_eigen(concat), 1e-11);
    test::require_near(to_eigen(mat(L.at("output"))), to_eigen(matmul(concat, mat(w.at("W_O")))), 1e-10);
    // Dense: no exact output beside the output, no comparison.
    REQUIRE_FALSE(L.contains("exact_output"));
    REQUIRE_FALSE(L.contains("comparison"));
    test::require_near(to_eigen(mat(L.at("mean_attention"))), to_eigen(mean_attention), 1e-11);
    if (cross) {
        REQUIRE_FALSE(L.contains("rollout"));
    } else {
        // One layer's rollout: rows of 0.5 A + 0.5 I, each divided by its sum.
        Mat rollout = zeros(n, n);
        for (int i = 0; i < n; ++i) {
            double sum = 0;
            for (int c = 0; c < n; ++c) sum += rollout[i][c] = 0.5 * mean_attention[i][c] + (i == c ? 0.5 : 0.0);
            for (int c = 0; c < n; ++c) rollout[i][c] /= sum;
        }
        test::require_near(to_eigen(mat(L.at("rollout"))), to_eigen(rollout), 1e-11);
    }
}

json round_trip(const Inputs& in) { return json::parse(attnscope::to_json(attnscope::run(in)).dump()); }

Inputs make(const std::string& text, int d_model, int heads, Positional pe, Mask mask) {
    Inputs in;
    in.text = text;
    in.d_model = d_model;
    in.heads = heads;
    in.pe = pe;
    in.mask = mask;
    return in;
}

}  // namespace

TEST_CASE("trace JSON round trip: rope, causal, temperature and projection edits", "[trace_json][roundtrip]") {
    Inputs in = make("the cat sat on the mat", 16, 4, Positional::Rope, Mask::Causal);
    in.temperature = 0.5;
    in.edits = {{"Q", 1, 2, 0.3}, {"K", 0, 5, -1.5}, {"W_V", 2, 2, 2.0}};
    recompute_and_compare(round_trip(in));
}

TEST_CASE("trace JSON round trip: alibi with 6 heads and a padding mask", "[trace_json][roundtrip]") {
    Inputs in = make("the cat sat on the mat", 12, 6, Positional::Alibi, Mask::Padding);
    in.pad_to = 8;
    recompute_and_compare(round_trip(in));
}

TEST_CASE("trace JSON round trip: relative bias, causal+padding, a fully masked row", "[trace_json][roundtrip]") {
    Inputs in = make("<pad> the cat sat on the mat", 16, 2, Positional::Relative, Mask::CausalPadding);
    in.temperature = 1.5;
    const json j = round_trip(in);
    // row 0 has no allowed key: every logit null, every weight 0
    const json& head0 = j.at("layers").at(0).at("heads").at(0);
    for (const json& v : head0.at("logits").at(0)) REQUIRE(v.is_null());
    for (const json& v : head0.at("attention").at(0)) REQUIRE(v.get<double>() == 0.0);
    recompute_and_compare(j);
}

TEST_CASE("trace JSON round trip: relative bias over long distances", "[trace_json][roundtrip]") {
    // 150 tokens: offsets beyond 8, 16 and 128 reach the logarithmic and the capped buckets.
    std::string text;
    for (int i = 0; i < 150; ++i) text.append("w").append(std::to_string(i % 37)).append(" ");
    for (Mask mask : {Mask::None, Mask::Causal}) {
        INFO("mask " << attnscope::name(mask));
        recompute_and_compare(round_trip(make(text, 4, 2, Positional::Relative, mask)));
    }
}

TEST_CASE("trace JSON round trip: cross-attention with learned positions and padding", "[trace_json][roundtrip]") {
    Inputs in = make("the cat sat", 8, 2, Positional::Learned, Mask::Padding);
    in.cross_text = "le chat est assis";
    in.pad_to = 6;
    in.edits = {{"cross_input", 1, 1, 0.5}, {"V", 3, 0, -2.0}};
    const json j = round_trip(in);
    REQUIRE(j.contains("cross"));
    REQUIRE(j.at("cross").at("tokens").size() == 6u);
    REQUIRE(j.at("tokens").size() == 3u);
    REQUIRE(j.at("cross").at("input").at(1).at(1).get<double>() == 0.5);
    recompute_and_compare(j);
}

TEST_CASE("trace JSON round trip: sinusoidal, <bos>, input edits", "[trace_json][roundtrip]") {
    Inputs in = make("自注意力 is fun", 8, 2, Positional::Sinusoidal, Mask::None);
    in.bos = true;
    in.edits = {{"positional", 0, 0, 2.0}, {"input", 1, 3, -1.0}, {"embeddings", 2, 2, 0.0}};
    const json j = round_trip(in);
    REQUIRE(j.at("tokens").at(0) == "<bos>");
    // positional is sinusoidal except the edited cell: check a few cells by the closed form
    REQUIRE(j.at("positional").at(0).at(0).get<double>() == 2.0);
    REQUIRE(j.at("positional").at(0).at(1).get<double>() == Approx(1.0));            // cos 0
    REQUIRE(j.at("positional").at(1).at(0).get<double>() == Approx(std::sin(1.0)));  // sin(1 / 10000^0)
    REQUIRE(j.at("positional").at(3).at(2).get<double>() == Approx(std::sin(3.0 / 10.0)));  // 10000^(2/8) = 10
    recompute_and_compare(j);
}

TEST_CASE("trace JSON round trip: no positions, heads = d_model, causal", "[trace_json][roundtrip]") {
    recompute_and_compare(round_trip(make("one two three four", 4, 4, Positional::None, Mask::Causal)));
}

TEST_CASE("trace JSON config records every option", "[trace_json]") {
    Inputs in = make("a b", 8, 2, Positional::Alibi, Mask::Causal);
    in.seed = 42;
    in.temperature = 0.25;
    in.pad_to = 3;
    in.edits = {{"W_Q", 1, 2, 0.5}};
    const json c = round_trip(in).at("config");
    REQUIRE(c.at("text") == "a b");
    REQUIRE(c.at("cross_text") == "");
    REQUIRE(c.at("d_model") == 8);
    REQUIRE(c.at("heads") == 2);
    REQUIRE(c.at("d_head") == 4);
    REQUIRE(c.at("seed") == 42);
    REQUIRE(c.at("pe") == "alibi");
    REQUIRE(c.at("mask") == "causal");
    REQUIRE(c.at("temperature") == 0.25);
    REQUIRE(c.at("bos") == false);
    REQUIRE(c.at("pad_to") == 3);
    REQUIRE(c.at("n") == 3);
    REQUIRE(c.at("m") == 3);
    REQUIRE(c.at("backend") == "cpu");
    REQUIRE_FALSE(c.contains("backend_note"));  // cpu was asked for
    REQUIRE(c.at("variant") == "dense");
    REQUIRE(c.at("layers") == 1);
    REQUIRE_FALSE(c.contains("layer"));
    REQUIRE(c.at("edits") == json::parse(R"([{"matrix":"W_Q","row":1,"col":2,"value":0.5}])"));
    // The config reads back to the same Inputs.
    REQUIRE(attnscope::inputs_from_json(c) == in);
}

TEST_CASE("matrix_to_json and matrix_from_json", "[trace_json]") {
    Matrix a(2, 3);
    a << 1.5, -INFINITY, 0.1,  //
        std::numeric_limits<double>::quiet_NaN(), 1e-300, -2;
    const json j = attnscope::matrix_to_json(a);
    REQUIRE(j == json::parse(R"([[1.5, null, 0.1], ["NaN", 1e-300, -2]])"));
    const Matrix b = attnscope::matrix_from_json(json::parse(j.dump()));
    REQUIRE(std::isnan(b(1, 0)));
    Matrix expected = a, got = b;
    expected(1, 0) = got(1, 0) = 0;  // NaN != NaN: compared above
    test::require_near(got, expected, 0.0);
    // 0.1 and other doubles survive the text round trip exactly.
    REQUIRE(b(0, 2) == 0.1);
    REQUIRE(attnscope::matrix_from_json(json::array()).size() == 0);
    REQUIRE_ERROR(attnscope::matrix_from_json(json::parse("[[1, 2], [3]]")), "row 1 does not have 2 entries");
    REQUIRE_ERROR(attnscope::matrix_from_json(json::parse("{\"a\": 1}")), "array of rows");
    // A cell that is neither a number nor null is an attnscope::Error too, not a JSON library exception.
    REQUIRE_ERROR(attnscope::matrix_from_json(json::parse(R"([[1, "2"]])")), "cell (0, 1) is \"2\", not a number");
    REQUIRE_ERROR(attnscope::matrix_from_json(json::parse(R"([[1], [true]])")), "cell (1, 0) is true, not a number");
}

TEST_CASE("inputs_to_json and inputs_from_json", "[trace_json]") {
    Inputs in;
    in.text = "自注意力 didn't";
    in.cross_text = "x y";
    in.pe = Positional::Rope;
    in.mask = Mask::Padding;
    in.seed = 18446744073709551615ull;  // the largest seed survives
    in.edits = {{"K", 0, 1, -0.75}, {"W_O", 3, 3, 1e6}};
    REQUIRE(attnscope::inputs_from_json(json::parse(attnscope::inputs_to_json(in).dump())) == in);
    // Missing fields take the defaults.
    REQUIRE(attnscope::inputs_from_json(json::object()) == Inputs{});
    REQUIRE_ERROR(attnscope::inputs_from_json(json::parse(R"({"heads": "four"})")), "wrong type");
    REQUIRE_ERROR(attnscope::inputs_from_json(json::parse(R"({"pe": "fourier"})")), "unknown positional encoding");
    REQUIRE_ERROR(attnscope::inputs_from_json(json::parse(R"({"edits": [{"matrix": "W_Q"}]})")), "wrong type");
}

TEST_CASE("trace_json: inputs_from_json rejects numbers that are not whole ints", "[trace_json][errors]") {
    // 2.7 heads would be cut to 2 and 1e10 would overflow an int: both must be errors, not guesses.
    REQUIRE_ERROR(attnscope::inputs_from_json(nlohmann::json::parse(R"({"heads": 2.7})")), "whole number");
    REQUIRE_ERROR(attnscope::inputs_from_json(nlohmann::json::parse(R"({"d_model": 1e10})")), "whole number");
    REQUIRE_ERROR(attnscope::inputs_from_json(nlohmann::json::parse(R"({"d_model": 10000000000})")), "whole number");
    // A seed of 1e300 or -1 was converted to some 64-bit number without a word (1e300: undefined).
    for (const char* seed : {"1e300", "-1", "7.5", "\"7\""})
        REQUIRE_ERROR(attnscope::inputs_from_json(nlohmann::json::parse(std::string(R"({"seed": )") + seed + "}")),
                      "'seed' has the wrong type: it must be a whole number from 0 to 18446744073709551615");
    REQUIRE_ERROR(attnscope::inputs_from_json(nlohmann::json::parse(
                      R"({"variant": "local", "variant_params": {"global_tokens": [0.5]}})")),
                  "whole number");
    REQUIRE(attnscope::inputs_from_json(nlohmann::json::parse(R"({"heads": 8})")).heads == 8);
}

TEST_CASE("config.backend is the backend that ran, inputs keep the one asked for", "[trace_json]") {
    attnscope::Inputs in;
    in.text = "a b";
    in.backend = attnscope::Backend::Gpu;
    REQUIRE(attnscope::inputs_from_json(attnscope::inputs_to_json(in)).backend == attnscope::Backend::Gpu);
    attnscope::Trace t = attnscope::run(in);  // no GPU backend in the context: the CPU ran, and says why
    REQUIRE(t.backend == attnscope::Backend::Cpu);
    REQUIRE(attnscope::to_json(t).at("config").at("backend") == "cpu");
    REQUIRE(attnscope::to_json(t).at("config").at("backend_note").get<std::string>().find("OpenGL 4.3") != std::string::npos);
    t.backend = attnscope::Backend::Gpu;
    REQUIRE(attnscope::to_json(t).at("config").at("backend") == "gpu");
}

TEST_CASE("a NaN or +inf cell is written as a string, never as the null of a masked cell", "[trace_json]") {
    attnscope::Matrix m(1, 4);
    m << 0.5, -INFINITY, NAN, INFINITY;
    const nlohmann::json j = attnscope::matrix_to_json(m);
    REQUIRE(j.dump() == R"([[0.5,null,"NaN","Infinity"]])");
    const attnscope::Matrix back = attnscope::matrix_from_json(j);
    REQUIRE(back(0, 0) == 0.5);
    REQUIRE(back(0, 1) == -INFINITY);
    REQUIRE(std::isnan(back(0, 2)));
    REQUIRE(back(0, 3) == INFINITY);
    REQUIRE_ERROR(attnscope::matrix_from_json(nlohmann::json::parse(R"([["nan"]])")), "not a number, null (masked)");
}
