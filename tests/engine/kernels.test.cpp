// Tests engine/src/kernels/: the fused dense kernel against the plain materializing reference,
// and every fast variant kernel against the traced definitions (variants.hpp, in double) on the
// same fp32 inputs, by normalized error ||fast - ref||_F / ||ref||_F; each failure names its case.
// Also: fully masked rows give zeros, results do not depend on the thread count, kept_pairs
// matches the traced patterns, and bad shapes are errors.
#include "attnscope/kernels.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "../test_helpers.hpp"
#include "attnscope/attention.hpp"
#include "attnscope/variants.hpp"

namespace as = attnscope;
using as::AttentionProblem;
using as::MatrixF;
using as::VariantKind;
using as::VariantParams;

namespace {

// (rows, cols) uniform values in [-scale, scale) from a 64-bit LCG: test data only.
MatrixF test_data(long long rows, int cols, std::uint64_t seed, float scale) {
    std::uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 12345;
    MatrixF x(rows, cols);
    for (long long i = 0; i < rows; ++i)
        for (int c = 0; c < cols; ++c) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            x(i, c) = scale * static_cast<float>(2.0 * static_cast<double>(s >> 11) * 0x1.0p-53 - 1.0);
        }
    return x;
}

AttentionProblem problem(int heads, int n, int m, int d, bool causal, std::uint64_t seed, float scale = 1.0f) {
    AttentionProblem p;
    p.heads = heads;
    p.Q = test_data(static_cast<long long>(heads) * n, d, seed, scale);
    p.K = test_data(static_cast<long long>(heads) * m, d, seed + 1, scale);
    p.V = test_data(static_cast<long long>(heads) * m, d, seed + 2, 1.0f);
    p.mask.causal = causal;
    return p;
}

bool all_finite(const MatrixF& x) { return x.allFinite(); }

// ||a - b||_F / ||b||_F, or ||a||_F when b is all zeros.
double normalized_error(const MatrixF& a, const MatrixF& b) {
    const double diff = (a.cast<double>() - b.cast<double>()).norm(), ref = b.cast<double>().norm();
    return ref > 0 ? diff / ref : diff;
}

void require_close(const MatrixF& fast, const MatrixF& ref, double eps, const std::string& what) {
    INFO(what);
    REQUIRE(fast.rows() == ref.rows());
    REQUIRE(fast.cols() == ref.cols());
    REQUIRE(all_finite(fast));
    const double err = normalized_error(fast, ref);
    INFO("normalized error " << err << " > " << eps);
    REQUIRE(err <= eps);
}

std::string describe(const AttentionProblem& p, const std::string& variant) {
    std::ostringstream s;
    s << variant << ": heads " << p.heads << ", n " << p.n() << ", m " << p.m() << ", d " << p.d()
      << (p.mask.causal ? ", causal" : "") << (p.mask.key_is_padding.empty() ? "" : ", padding");
    return s.str();
}

}  // namespace

TEST_CASE("fused dense attention matches the plain reference over shapes, causal or not") {
    for (int n : {1, 3, 17, 63, 64, 65, 200, 513})
        for (int d : {1, 63, 64, 128})
            for (bool causal : {false, true}) {
                const AttentionProblem p = problem(2, n, n, d, causal, 100 + n * 7 + d);
                MatrixF fast, ref;
                as::dense_attention_fused(fast, p);
                as::dense_attention_reference(ref, p);
                require_close(fast, ref, 1e-5, describe(p, "dense"));
            }
}

TEST_CASE("fused dense attention: sharp logits, cross-attention lengths and the traced definition") {
    // Large logits make the running max jump between key tiles, exercising the rescaling.
    const AttentionProblem sharp = problem(3, 700, 700, 32, false, 5, 4.0f);
    MatrixF fast, ref;
    as::dense_attention_fused(fast, sharp);
    as::dense_attention_reference(ref, sharp);
    require_close(fast, ref, 1e-5, describe(sharp, "dense, logits up to 4 * 4 * 32 / sqrt(32)"));
    for (bool causal : {false, true}) {
        AttentionProblem cross = problem(2, 50, 300, 16, causal, 9);
        cross.temperature = 0.7;
        as::dense_attention_fused(fast, cross);
        as::attention_reference(ref, cross, VariantParams{}, {}, 0);  // double, through attention.hpp
        require_close(fast, ref, 1e-5, describe(cross, "dense vs traced, T 0.7"));
    }
}

TEST_CASE("fully masked rows give zeros, never NaN") {
    for (int n : {1, 65, 300}) {
        AttentionProblem p = problem(2, n, n, 16, true, 77);
        p.mask.key_is_padding.assign(n, false);
        p.mask.key_is_padding[0] = true;  // causal + key 0 padded: query 0 sees nothing
        for (int j = 5; j < n; j += 7) p.mask.key_is_padding[j] = true;
        MatrixF fast, ref;
        as::dense_attention_fused(fast, p);
        as::dense_attention_reference(ref, p);
        require_close(fast, ref, 1e-5, describe(p, "dense"));
        for (int h = 0; h < 2; ++h) REQUIRE(fast.row(static_cast<long long>(h) * n).isZero(0));

        // Every key padded: every row of every variant that honours the mask is zeros.
        p.mask.key_is_padding.assign(n, true);
        for (VariantKind kind : {VariantKind::Dense, VariantKind::Local, VariantKind::Strided, VariantKind::BigBird,
                                 VariantKind::Performer}) {
            VariantParams v;
            v.kind = kind;
            p.mask.causal = kind != VariantKind::Dense;
            const as::VariantWeights w = as::draw_variant_weights(v, p.heads, p.m(), p.d(), 3);
            as::attention_fast(fast, p, v, w, 3);
            INFO(describe(p, as::name(kind)));
            REQUIRE(all_finite(fast));
            REQUIRE(fast.isZero(0));
        }
    }
}

namespace {

struct VariantCase {
    VariantParams v;
    std::string label;
};

std::vector<VariantCase> variant_cases() {
    std::vector<VariantCase> cases;
    auto add = [&](VariantKind kind, auto set, const std::string& label) {
        VariantParams v;
        v.kind = kind;
        set(v);
        cases.push_back({v, label});
    };
    add(
        VariantKind::Local, [](VariantParams& v) { v.window = 3; }, "local w 3");
    add(
        VariantKind::Local, [](VariantParams& v) { v.window = 70; }, "local w 70 (band wider than a tile)");
    add(
        VariantKind::Local, [](VariantParams& v) { v.window = 5, v.dilation = 3; }, "local w 5 dilation 3");
    add(
        VariantKind::Local,
        [](VariantParams& v) {
            v.window = 4, v.dilation = 2, v.global_tokens = {0, 36, 129, 36};
        },
        "local w 4 dilation 2 globals 0 36 129");
    add(
        VariantKind::Strided, [](VariantParams& v) { v.stride = 1; }, "strided 1");
    add(
        VariantKind::Strided, [](VariantParams& v) { v.stride = 4; }, "strided 4");
    add(
        VariantKind::Strided, [](VariantParams& v) { v.stride = 17; }, "strided 17");
    add(
        VariantKind::BigBird, [](VariantParams& v) { v.block = 4, v.window = 1, v.globals = 2, v.random_blocks = 2; },
        "bigbird b 4 w 1 g 2 r 2");
    add(
        VariantKind::BigBird, [](VariantParams& v) { v.block = 16, v.window = 0, v.globals = 21, v.random_blocks = 3; },
        "bigbird b 16 w 0 g 21 r 3");
    add(
        VariantKind::BigBird, [](VariantParams& v) { v.block = 100, v.window = 1, v.globals = 0, v.random_blocks = 1; },
        "bigbird b 100 (more than a query tile)");
    add(
        VariantKind::Linformer, [](VariantParams& v) { v.k = 8; }, "linformer k 8");
    add(
        VariantKind::Linformer, [](VariantParams& v) { v.k = 33; }, "linformer k 33");
    add(
        VariantKind::Nystrom, [](VariantParams& v) { v.landmarks = 4; }, "nystrom 4 landmarks");
    add(
        VariantKind::Nystrom, [](VariantParams& v) { v.landmarks = 11; }, "nystrom 11 landmarks");
    add(
        VariantKind::Performer, [](VariantParams& v) { v.features = 16; }, "performer 16 features");
    add(
        VariantKind::Performer, [](VariantParams& v) { v.features = 40; }, "performer 40 features");
    return cases;
}

// 1e-5, except for Nystrom: its output left W, with left = softmax(c Q K~^T) (n, l) and
// W = pinv(middle) softmax(c Q~ K^T) V (l, d), is a difference of terms as large as
// ||left|| ||W||, so fp32 rounding of the factors (about 1.2e-7 relative) reaches the output
// amplified by ||left|| ||W|| / ||out|| (measured: error / amplification <= 1.8e-7).
double tolerance(const AttentionProblem& p, const VariantParams& v) {
    if (v.kind != VariantKind::Nystrom) return 1e-5;
    double worst = 1;
    const int n = p.n(), m = p.m(), d = p.d(), l = v.landmarks;
    const double c = 1.0 / (std::sqrt(static_cast<double>(d)) * p.temperature);
    for (int h = 0; h < p.heads; ++h) {
        const as::Matrix Q = p.Q.middleRows(h * n, n).cast<double>(), K = p.K.middleRows(h * m, m).cast<double>();
        const as::Matrix Ql = as::segment_means(Q, l), Kl = as::segment_means(K, l);
        const as::Matrix left = as::softmax_rows(c * Q * Kl.transpose());
        const as::Matrix W = as::iterative_pinv(as::softmax_rows(c * Ql * Kl.transpose()), v.pinv_iterations) *
                             as::softmax_rows(c * Ql * K.transpose()) * p.V.middleRows(h * m, m).cast<double>();
        worst = std::max(worst, left.norm() * W.norm() / (left * W).norm());
    }
    return std::max(1e-5, 1e-6 * worst);
}

// The low-rank variants ignore the mask, as the traced engine does; the Performer honours it.
bool honours_mask(VariantKind kind) { return kind != VariantKind::Linformer && kind != VariantKind::Nystrom; }

}  // namespace

TEST_CASE("every fast variant kernel matches its traced definition") {
    const std::uint64_t seed = 11;
    for (const VariantCase& c : variant_cases())
        for (int n : {37, 130, 300})
            for (int d : {16, 33})
                for (bool causal : {false, true}) {
                    if (causal && !honours_mask(c.v.kind)) continue;
                    if (c.v.kind == VariantKind::Nystrom && c.v.landmarks > n) continue;
                    AttentionProblem p = problem(2, n, n, d, causal, 1000 + n + d);
                    if (n == 130) {  // some padded keys too
                        p.mask.key_is_padding.assign(n, false);
                        for (int j = 3; j < n; j += 11) p.mask.key_is_padding[j] = true;
                        if (!honours_mask(c.v.kind)) p.mask.key_is_padding.clear();
                    }
                    const as::VariantWeights w = as::draw_variant_weights(c.v, p.heads, p.m(), p.d(), seed);
                    MatrixF fast, ref;
                    as::attention_fast(fast, p, c.v, w, seed);
                    as::attention_reference(ref, p, c.v, w, seed);
                    require_close(fast, ref, tolerance(p, c.v), describe(p, c.label));
                }
}

TEST_CASE("fast variant kernels with different query and key lengths") {
    const std::uint64_t seed = 4;
    for (const VariantCase& c : variant_cases())
        for (auto [n, m] : {std::pair{45, 140}, std::pair{140, 45}}) {
            if (c.v.kind == VariantKind::Nystrom && c.v.landmarks > std::min(n, m)) continue;
            for (bool causal : {false, true}) {
                if (causal && !honours_mask(c.v.kind)) continue;
                const AttentionProblem p = problem(1, n, m, 8, causal, 50 + n);
                const as::VariantWeights w = as::draw_variant_weights(c.v, p.heads, p.m(), p.d(), seed);
                MatrixF fast, ref;
                as::attention_fast(fast, p, c.v, w, seed);
                as::attention_reference(ref, p, c.v, w, seed);
                require_close(fast, ref, tolerance(p, c.v), describe(p, c.label));
            }
        }
}

TEST_CASE("kernel results do not depend on the thread count") {
    const int threads = as::kernel_threads();
    for (const VariantCase& c : variant_cases()) {
        const AttentionProblem p = problem(3, 300, 300, 16, c.v.kind == VariantKind::Performer, 8);
        const as::VariantWeights w = as::draw_variant_weights(c.v, p.heads, p.m(), p.d(), 2);
        MatrixF one, many;
        as::set_kernel_threads(1);
        as::attention_fast(one, p, c.v, w, 2);
        as::set_kernel_threads(3);
        as::attention_fast(many, p, c.v, w, 2);
        INFO(c.label);
        REQUIRE((one.array() == many.array()).all());
    }
    as::set_kernel_threads(threads);
}

TEST_CASE("kept_pairs counts the traced patterns' kept pairs without forming them") {
    for (const VariantCase& c : variant_cases()) {
        if (!as::is_sparse(c.v.kind)) continue;
        for (auto [n, m] : {std::pair{130, 130}, std::pair{45, 140}, std::pair{140, 45}})
            for (bool causal : {false, true}) {
                const int heads = 3;
                const std::uint64_t seed = 6;
                long long traced = 0;
                const as::MaskMatrix allowed = as::attention_mask(n, m, causal, {});
                for (int h = 0; h < heads; ++h) {
                    const VariantParams& v = c.v;
                    const as::MaskMatrix pattern =
                        v.kind == VariantKind::Local ? as::local_pattern(n, m, v.window, v.dilation, v.global_tokens)
                        : v.kind == VariantKind::Strided ? as::strided_pattern(n, m, v.stride)
                                                         : as::bigbird_pattern(n, m, v.block, v.window, v.globals,
                                                                               v.random_blocks, as::head_seed(h, seed));
                    traced += (pattern.array() && allowed.array()).count();
                }
                INFO(c.label << ", n " << n << ", m " << m << (causal ? ", causal" : ""));
                REQUIRE(as::kept_pairs(c.v, heads, n, m, causal, seed) == traced / heads);
            }
    }
}

TEST_CASE("fast kernels reject shapes that do not fit together") {
    AttentionProblem p = problem(2, 10, 10, 8, false, 1);
    MatrixF out;
    p.heads = 3;
    REQUIRE_ERROR(as::dense_attention_fused(out, p), "must stack 3 heads");
    p = problem(2, 10, 10, 8, false, 1);
    p.V = MatrixF::Zero(20, 7);
    REQUIRE_ERROR(as::dense_attention_fused(out, p), "must share d_head");
    p = problem(2, 10, 10, 8, false, 1);
    p.mask.key_is_padding.assign(3, false);
    REQUIRE_ERROR(as::dense_attention_fused(out, p), "one per key");
    p.mask.key_is_padding.clear();
    REQUIRE_ERROR(as::nystrom_attention(out, p, 11), "landmarks");
    REQUIRE_ERROR(as::linformer_attention(out, p, MatrixF::Zero(4, 10), MatrixF::Zero(4, 9)), "linformer E and F");
    REQUIRE_ERROR(as::local_attention(out, p, -1), "window");
    REQUIRE_ERROR(as::strided_attention(out, p, 0), "stride");
    VariantParams topk;
    topk.kind = VariantKind::TopK;
    REQUIRE_ERROR(as::attention_fast(out, p, topk, {}, 0), "no fast kernel for topk");
}

TEST_CASE("scratch memory does not grow with n x m, and the FMA peak is measured") {
    VariantParams dense;
    const std::size_t small = as::kernel_scratch_bytes(dense, 8, 1024, 1024, 64, 2);
    REQUIRE(small == as::kernel_scratch_bytes(dense, 8, 1 << 20, 1 << 20, 64, 2));
    REQUIRE(small < (1u << 20));
    VariantParams local;
    local.kind = VariantKind::Local;
    local.window = 256;
    REQUIRE(as::kernel_scratch_bytes(local, 1, 1 << 20, 1 << 20, 64, 2) < (8u << 20));
    const as::FmaPeak peak = as::measure_fma_peak(1, 0.005);
    REQUIRE(peak.gflops > 0);
    REQUIRE(peak.threads == 1);
    REQUIRE_FALSE(peak.instructions.empty());
}

namespace {

// Runs body with each instruction set this build compiled and this CPU supports, then restores
// the one in use before.
template <class Body>
void for_each_supported_isa(Body body) {
    const std::string before = as::kernel_isa();
    for (const std::string& isa : as::supported_kernel_isas()) {
        as::set_kernel_isa(isa);
        INFO("kernel ISA " << isa);
        REQUIRE(as::kernel_isa() == isa);
        body(isa);
    }
    as::set_kernel_isa(before);
}

}  // namespace

TEST_CASE("runtime dispatch: the widest supported instruction set is the default, others can be chosen") {
    const std::vector<std::string> compiled = as::compiled_kernel_isas(), supported = as::supported_kernel_isas();
    REQUIRE_FALSE(supported.empty());
    for (const std::string& isa : supported) REQUIRE(std::find(compiled.begin(), compiled.end(), isa) != compiled.end());
    // The baseline runs on any x86-64 (or the build is for this machine only).
    REQUIRE((supported.front() == "sse2" || supported == std::vector<std::string>{"native"}));
    REQUIRE(as::kernel_isa() == supported.back());
    REQUIRE(as::kernel_isa_description().find(as::kernel_isa()) == 0);
    REQUIRE_ERROR(as::set_kernel_isa("avx9000"), "not available");
    REQUIRE(as::kernel_isa() == supported.back());
}

TEST_CASE("every compiled instruction set this CPU supports matches the references") {
    for_each_supported_isa([](const std::string& isa) {
        for (int n : {1, 5, 65, 200})
            for (int d : {1, 63, 64, 128})
                for (bool causal : {false, true}) {
                    AttentionProblem p = problem(2, n, n, d, causal, 300 + n * 3 + d, n == 200 ? 4.0f : 1.0f);
                    if (n == 65) {  // fully masked query 0 and some padded keys
                        p.mask.key_is_padding.assign(n, false);
                        for (int j = 0; j < n; j += 9) p.mask.key_is_padding[j] = true;
                    }
                    MatrixF fast, ref;
                    as::dense_attention_fused(fast, p);
                    as::dense_attention_reference(ref, p);
                    require_close(fast, ref, 1e-5, describe(p, "dense, " + isa));
                }
        for (const VariantCase& c : variant_cases()) {
            const bool causal = honours_mask(c.v.kind);
            const AttentionProblem p = problem(2, 130, 130, 33, causal, 21);
            const as::VariantWeights w = as::draw_variant_weights(c.v, p.heads, p.m(), p.d(), 5);
            MatrixF fast, ref;
            as::attention_fast(fast, p, c.v, w, 5);
            as::attention_reference(ref, p, c.v, w, 5);
            require_close(fast, ref, tolerance(p, c.v), describe(p, c.label + ", " + isa));
        }
        const as::FmaPeak peak = as::measure_fma_peak(1, 0.005);
        REQUIRE(peak.gflops > 0);
        // The peak runs on the same instructions: a 512-bit ISA reports 512-bit chains, and so on.
        if (isa == "sse2") REQUIRE(peak.instructions.find("128-bit") != std::string::npos);
        if (isa == "avx2") REQUIRE(peak.instructions.find("AVX2 FMA") != std::string::npos);
        if (isa == "avx512") REQUIRE(peak.instructions.find("AVX-512 FMA") != std::string::npos);
    });
}
