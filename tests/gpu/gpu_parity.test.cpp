// The GPU backend against the CPU reference, in the spirit of ggml's test-backend-ops: every op
// and every traced stage, for every positional encoding, mask and variant, over odd shapes
// (n in {1, 3, 17, 127, 513}, d_head in {1, 17, 64}), compared by normalized error
// ||gpu - cpu|| / ||cpu|| (masked cells must be -inf in both). A failure prints the case.
// Needs an OpenGL 4.3 context: EGL (Mesa surfaceless works without X) or a display (Xvfb).
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "attnscope/attention.hpp"
#include "attnscope/error.hpp"
#include "attnscope/gpu/device.hpp"
#include "attnscope/gpu/fused.hpp"
#include "attnscope/gpu/headless.hpp"
#include "attnscope/gpu/run_gpu.hpp"
#include "attnscope/kernels.hpp"
#include "attnscope/run.hpp"
#include "attnscope/trace_json.hpp"

using attnscope::Inputs;
using attnscope::Matrix;
using attnscope::MatrixF;
using attnscope::Trace;
using attnscope::VariantKind;
namespace gpu = attnscope::gpu;

namespace {

constexpr double kTolerance = 1e-4;  // the acceptance bound: float32 GPU against the double CPU engine

// One context and device for the whole binary (building programs is the slow part on llvmpipe).
gpu::Device& device() {
    static std::unique_ptr<gpu::HeadlessGpu> gpu = [] {
        std::string why;
        auto g = gpu::open_headless_gpu(why);
        if (!g) FAIL("no OpenGL 4.3 context for the GPU tests: " << why);
        return g;
    }();
    return gpu->device;
}

// run() on the GPU: the device as the context's LayerBackend.
Trace run_gpu(const Inputs& in) {
    gpu::DeviceBackend backend(device());
    attnscope::RunContext context;
    context.backend = &backend;
    return attnscope::run(in, context);
}

// ||a - b||_F / ||b||_F over the finite cells; infinite when the shapes or the -inf cells differ.
double normalized_error(const Matrix& a, const Matrix& b) {
    if (a.rows() != b.rows() || a.cols() != b.cols()) return INFINITY;
    double diff = 0, norm = 0;
    for (Eigen::Index i = 0; i < a.rows(); ++i)
        for (Eigen::Index j = 0; j < a.cols(); ++j) {
            const double x = a(i, j), y = b(i, j);
            if (std::isnan(x) || std::isnan(y) || std::isinf(x) != std::isinf(y)) return INFINITY;
            if (std::isinf(y)) {
                if (x != y) return INFINITY;
                continue;
            }
            diff += (x - y) * (x - y);
            norm += y * y;
        }
    return norm > 0 ? std::sqrt(diff / norm) : std::sqrt(diff);
}

void require_close(const std::string& stage, const Matrix& gpu_m, const Matrix& cpu_m) {
    const double e = normalized_error(gpu_m, cpu_m);
    INFO("stage " << stage << ": normalized error " << e << " (shape gpu " << gpu_m.rows() << "x" << gpu_m.cols()
                  << ", cpu " << cpu_m.rows() << "x" << cpu_m.cols() << ")");
    REQUIRE(e <= kTolerance);
}

std::string words(int count, const char* stem = "w") {
    std::string text;
    for (int i = 0; i < count; ++i) {
        if (i) text += ' ';
        text += stem;
        text += std::to_string(i % 41);
    }
    return text;
}

// Self-attention inputs with n query tokens; with a padding mask the last two (n >= 3) are <pad>.
Inputs make_inputs(int n, int d_head, int heads, attnscope::Positional pe, attnscope::Mask mask) {
    Inputs in;
    in.d_model = d_head * heads;
    in.heads = heads;
    in.pe = pe;
    in.mask = mask;
    in.seed = 11;
    const bool pads = attnscope::masks_padding(mask) && n >= 3;
    in.text = words(pads ? n - 2 : n);
    in.pad_to = pads ? n : 0;
    in.backend = attnscope::Backend::Gpu;
    return in;
}

std::string describe(const Inputs& in) {
    return attnscope::inputs_to_json(in).dump().substr(0, 600);
}

// The GPU trace of `in` against the CPU's, stage by stage; errors must agree too.
void require_parity(const Inputs& in) {
    INFO("case: " << describe(in));
    std::string cpu_error, gpu_error;
    Trace cpu, g;
    try {
        cpu = attnscope::run(in);
    } catch (const attnscope::Error& e) {
        cpu_error = e.what();
    }
    try {
        g = run_gpu(in);
    } catch (const attnscope::Error& e) {
        gpu_error = e.what();
    }
    REQUIRE(gpu_error == cpu_error);
    if (!cpu_error.empty()) return;
    REQUIRE(g.backend == attnscope::Backend::Gpu);
    REQUIRE(g.backend_note.empty());
    REQUIRE(g.n() == cpu.n());
    REQUIRE(g.m() == cpu.m());
    REQUIRE(g.layers.size() == 1);
    REQUIRE(cpu.layers.size() == 1);
    const attnscope::LayerTrace &gl = g.layers[0], &cl = cpu.layers[0];
    REQUIRE(gl.heads.size() == cl.heads.size());
    require_close("Q", gl.Q, cl.Q);
    require_close("K", gl.K, cl.K);
    require_close("V", gl.V, cl.V);
    for (std::size_t h = 0; h < cl.heads.size(); ++h) {
        INFO("head " << h);
        const attnscope::HeadTrace &a = gl.heads[h], &b = cl.heads[h];
        REQUIRE(a.kv_head == b.kv_head);
        require_close("head Q", a.Q, b.Q);
        require_close("head K", a.K, b.K);
        require_close("head V", a.V, b.V);
        require_close("scores", a.scores, b.scores);
        require_close("bias", a.bias, b.bias);
        require_close("scaled", a.scaled, b.scaled);
        require_close("logits", a.logits, b.logits);
        require_close("attention", a.attention, b.attention);
        require_close("output", a.output, b.output);
        // A variant's record (its pattern and the exact head beside it) on both, or on neither.
        REQUIRE(a.variant.has_value() == cpu.has_variant());
        REQUIRE(b.variant.has_value() == cpu.has_variant());
        if (b.variant) {
            REQUIRE(a.variant->pattern == b.variant->pattern);
            require_close("exact_attention", a.variant->exact_attention, b.variant->exact_attention);
            require_close("exact_output", a.variant->exact_output, b.variant->exact_output);
        }
    }
    require_close("concat", gl.concat, cl.concat);
    require_close("output", gl.output, cl.output);
    require_close("exact_output", gl.exact_output, cl.exact_output);
    require_close("mean_attention", gl.mean_attention, cl.mean_attention);
    require_close("rollout", gl.rollout, cl.rollout);
    REQUIRE(std::abs(gl.output_error - cl.output_error) <= kTolerance * std::max(1.0, cl.output_error));
    REQUIRE(gl.cost.flops == cl.cost.flops);
}

}  // namespace

TEST_CASE("every positional encoding and mask matches the CPU over odd shapes", "[gpu]") {
    using attnscope::Mask;
    for (int n : {1, 3, 17, 127})
        for (int d_head : {1, 17, 64})
            for (attnscope::Positional pe : attnscope::kAllPositional)
                for (Mask mask : attnscope::kAllMasks) {
                    if (n == 127 && d_head != 17 && mask != Mask::CausalPadding) continue;  // keeps the suite fast
                    require_parity(make_inputs(n, d_head, 2, pe, mask));
                }
}

TEST_CASE("n = 513 for every positional encoding", "[gpu][slow]") {
    for (attnscope::Positional pe : attnscope::kAllPositional)  // learned: both refuse 513 tokens alike
        require_parity(make_inputs(513, 17, 2, pe, attnscope::Mask::CausalPadding));
    for (int d_head : {1, 64})  // RoPE's angles reach 512 radians here
        require_parity(make_inputs(513, d_head, 1, attnscope::Positional::Rope, attnscope::Mask::None));
}

TEST_CASE("heads, temperature, edits and cross-attention match the CPU", "[gpu]") {
    Inputs in = make_inputs(9, 8, 4, attnscope::Positional::Relative, attnscope::Mask::Causal);
    in.temperature = 0.37;
    in.edits = {{"Q", 1, 2, 3.5}, {"K", 0, 5, -2}, {"V", 8, 31, 4}, {"W_O", 3, 3, 1.5}, {"input", 2, 0, 7}};
    require_parity(in);
    in.heads = 8;  // d_head 4, ALiBi's non-power-of-two slopes with 6 heads below
    in.pe = attnscope::Positional::Alibi;
    require_parity(in);
    in.d_model = 48, in.heads = 6, in.edits.clear();
    require_parity(in);
    for (attnscope::Positional pe : {attnscope::Positional::None, attnscope::Positional::Sinusoidal,
                                     attnscope::Positional::Learned, attnscope::Positional::Rope}) {
        Inputs cross = make_inputs(5, 17, 2, pe, attnscope::Mask::Padding);
        cross.cross_text = words(11, "k");
        cross.pad_to = 14;
        require_parity(cross);
    }
    in.edits = {{"Q", 99, 0, 1.0}};  // outside Q: both backends refuse with the same message
    require_parity(in);
}

TEST_CASE("every variant matches the CPU over odd shapes", "[gpu]") {
    for (VariantKind kind : attnscope::kAllVariants)
        for (int n : {1, 3, 17, 127})
            for (int d_head : {1, 17, 64}) {
                if (n == 127 && d_head != 64 && kind != VariantKind::TopK) continue;
                const bool mixes_keys = kind == VariantKind::Linformer || kind == VariantKind::Nystrom;
                Inputs in = make_inputs(n, d_head, 2, attnscope::Positional::Rope,
                                        mixes_keys ? attnscope::Mask::None : attnscope::Mask::Causal);
                in.variant.kind = kind;
                in.variant.landmarks = std::min(4, n);
                in.variant.global_tokens = {0, n / 2};
                in.variant.block = 3;
                require_parity(in);
                if (attnscope::is_sparse(kind)) {  // and with the relative bias and a padding mask
                    in = make_inputs(n, d_head, 3, attnscope::Positional::Relative, attnscope::Mask::Padding);
                    in.variant.kind = kind;
                    in.variant.window = 1, in.variant.dilation = 2, in.variant.stride = 3, in.variant.summary = 2;
                    require_parity(in);
                }
            }
}

TEST_CASE("sparse variants at n = 513", "[gpu][slow]") {
    for (VariantKind kind : {VariantKind::Local, VariantKind::Strided, VariantKind::Fixed, VariantKind::BigBird,
                             VariantKind::TopK}) {
        Inputs in = make_inputs(513, 17, 2, attnscope::Positional::Alibi, attnscope::Mask::Causal);
        in.variant.kind = kind;
        in.variant.window = 8, in.variant.stride = 16, in.variant.block = 16, in.variant.top_k = 9;
        require_parity(in);
    }
}

// --- single ops against Eigen and the engine's own functions ---

TEST_CASE("op: batched strided matmul", "[gpu]") {
    gpu::Device& dev = device();
    for (int M : {1, 3, 17, 33})
        for (int K : {1, 17, 64})
            for (int N : {1, 5, 31}) {
                INFO("M " << M << " K " << K << " N " << N << " batch 3, B transposed");
                const MatrixF A = MatrixF::Random(3 * M, K), B = MatrixF::Random(3 * N, K);  // B holds B^T per batch
                gpu::Buffer a(A.size() * sizeof(float), A.data()), b(B.size() * sizeof(float), B.data());
                gpu::Buffer c(3 * M * N * sizeof(float));
                gpu::matmul(dev, c, gpu::row_major(N, M * N), a, gpu::row_major(K, M * K), b, {0, 1, K, N * K}, M, N,
                            K, 3, 0.5f);
                const std::vector<float> got = c.floats();
                for (int z = 0; z < 3; ++z) {
                    const Matrix want =
                        0.5 * (A.middleRows(z * M, M) * B.middleRows(z * N, N).transpose()).cast<double>();
                    Matrix have(M, N);
                    for (int i = 0; i < M; ++i)
                        for (int j = 0; j < N; ++j) have(i, j) = got[(z * M + i) * N + j];
                    require_close("matmul", have, want);
                }
            }
}

TEST_CASE("op: softmax rows, with fully masked rows giving zeros", "[gpu]") {
    gpu::Device& dev = device();
    for (int cols : {1, 3, 17, 127, 513}) {
        INFO("cols " << cols);
        Matrix logits = 4 * Matrix::Random(5, cols);
        logits.row(1).setConstant(attnscope::kMasked);  // every key masked
        for (int j = 0; j < cols; j += 2) logits(3, j) = attnscope::kMasked;
        std::vector<float> f(logits.data(), logits.data() + logits.size());
        gpu::Buffer in(f), out(f.size() * sizeof(float));
        gpu::softmax(dev, out, in, 5, cols);
        const std::vector<float> got = out.floats();
        Matrix have(5, cols);
        for (int i = 0; i < 5; ++i)
            for (int j = 0; j < cols; ++j) have(i, j) = got[i * cols + j];
        require_close("softmax", have, attnscope::softmax_rows(logits));
        REQUIRE(have.row(1).isZero());
    }
}

// The fused kernel for every pattern, with and without the causal and padding masks, at head width d.
static void require_fused_parity(int d) {
    gpu::Device& dev = device();
    for (VariantKind kind : {VariantKind::Dense, VariantKind::Local, VariantKind::Strided, VariantKind::Fixed,
                             VariantKind::BigBird})
        for (int n : {1, 3, 17, 127, 513})
            for (int masking = 0; masking < 2; ++masking) {
                attnscope::AttentionProblem p;
                p.heads = 2;
                p.Q = MatrixF::Random(2 * n, d), p.K = MatrixF::Random(2 * n, d), p.V = MatrixF::Random(2 * n, d);
                p.temperature = 0.8;
                p.mask.causal = masking == 1;
                if (masking == 1) {
                    p.mask.key_is_padding.assign(n, false);
                    p.mask.key_is_padding[n - 1] = true;
                }
                attnscope::VariantParams v;
                v.kind = kind;
                v.window = 2, v.dilation = 2, v.stride = 5, v.summary = 2, v.block = 4, v.globals = 2;
                if (kind == VariantKind::Local && masking == 1) v.global_tokens = {0, n / 2};
                INFO("fused " << attnscope::name(kind) << " n " << n << " d " << d << " causal+padding " << masking);
                MatrixF want, got;
                attnscope::attention_reference(want, p, v, {}, 5);
                gpu::fused_attention(dev, got, p, v, 5);
                require_close("fused out", got.cast<double>(), want.cast<double>());
            }
}

TEST_CASE("the fused kernel matches the CPU reference, d_head 1 and 17", "[gpu]") {
    require_fused_parity(1);
    require_fused_parity(17);
}

// llvmpipe needs ~50 s to compile the kernel for d_head 64 (its registers unrolled) on a busy
// 2-core machine, once per process (Mesa's shader cache keeps it after that).
TEST_CASE("the fused kernel matches the CPU reference, d_head 64", "[gpu][slow]") { require_fused_parity(64); }

// --- shader errors ---

TEST_CASE("shader compile errors name the file and line, through includes", "[gpu]") {
    gpu::Device& dev = device();
    (void)dev;  // the context must be current
    const std::map<std::string, std::string> files = {
        {"bad_main.comp", "#version 430\n#include \"fine.glsl\"\nlayout(local_size_x = 1) in;\nvoid main() {\n"
                          "    float x = 1.0 +;\n}\n"},
        {"bad_include.comp", "#version 430\n#include \"broken.glsl\"\nlayout(local_size_x = 1) in;\nvoid main() {}\n"},
        {"fine.glsl", "// nothing wrong here\nfloat twice(float x) { return 2.0 * x; }\n"},
        {"broken.glsl", "// line 1\n// line 2\nfloat oops(float x) { return x * ; }\n"},
        {"missing.comp", "#version 430\n\n#include \"nowhere.glsl\"\nvoid main() {}\n"},
    };
    const gpu::SourceLookup lookup = [&](std::string_view f) -> std::optional<std::string_view> {
        auto it = files.find(std::string(f));
        if (it == files.end()) return std::nullopt;
        return std::string_view(it->second);
    };
    auto message = [&](const char* file) -> std::string {
        try {
            gpu::build_compute_program(file, lookup);
        } catch (const attnscope::Error& e) {
            return e.what();
        }
        return "";
    };
    const std::string main_error = message("bad_main.comp");
    INFO(main_error);
    REQUIRE(main_error.find("shaders/bad_main.comp:5") != std::string::npos);
    const std::string include_error = message("bad_include.comp");
    INFO(include_error);
    REQUIRE(include_error.find("shaders/broken.glsl:3") != std::string::npos);
    const std::string missing = message("missing.comp");
    REQUIRE(missing.find("shaders/missing.comp:3") != std::string::npos);
    REQUIRE(missing.find("nowhere.glsl") != std::string::npos);
}

TEST_CASE("run() falls back to the CPU without a device backend and says so", "[gpu]") {
    Inputs in = make_inputs(4, 4, 2, attnscope::Positional::Sinusoidal, attnscope::Mask::None);
    const Trace t = attnscope::run(in);  // asks for the GPU; the context has no backend
    REQUIRE(t.backend == attnscope::Backend::Cpu);
    REQUIRE(attnscope::to_json(t)["config"]["backend"] == "cpu");
    REQUIRE(t.backend_note.find("OpenGL 4.3") != std::string::npos);
    const Trace g = run_gpu(in);
    REQUIRE(g.backend == attnscope::Backend::Gpu);
    REQUIRE(attnscope::to_json(g)["config"]["backend"] == "gpu");
    REQUIRE(g.backend_note.empty());
    REQUIRE_FALSE(attnscope::to_json(g)["config"].contains("backend_note"));
    // A GPU backend given with inputs that ask for the CPU: the CPU runs, with nothing to explain.
    in.backend = attnscope::Backend::Cpu;
    gpu::DeviceBackend backend(device());
    attnscope::RunContext context;
    context.backend = &backend;
    const Trace c = attnscope::run(in, context);
    REQUIRE(c.backend == attnscope::Backend::Cpu);
    REQUIRE(c.backend_note.empty());
}
