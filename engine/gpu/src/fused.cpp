#include "attnscope/gpu/fused.hpp"

#include <epoxy/gl.h>

#include <cmath>
#include <vector>

#include "attnscope/error.hpp"
#include "attnscope/patterns.hpp"

// Shapes: H heads, n queries, m keys, d = d_head; stacked (H*n, d) and (H*m, d).
namespace attnscope::gpu {
namespace {

inline constexpr int kKeyTile = 32;  // keys per shared-memory tile: K and V tiles take 2 * 32 * d floats

Buffer upload(const MatrixF& x) { return Buffer(static_cast<std::size_t>(x.size()) * sizeof(float), x.data()); }

}  // namespace

bool has_fused_kernel(VariantKind kind) {
    return kind == VariantKind::Dense || kind == VariantKind::Local || kind == VariantKind::Strided ||
           kind == VariantKind::Fixed || kind == VariantKind::BigBird;
}

FusedAttention::FusedAttention(Device& dev, const AttentionProblem& p, const VariantParams& v, std::uint64_t seed)
    : dev_(dev), heads_(p.heads), n_(p.n()), m_(p.m()), d_(p.d()) {
    check_problem(p);
    if (!has_fused_kernel(v.kind))
        throw Error(std::string("no fused GPU kernel for ") + name(v.kind) +
                    ": choose dense, local, strided, fixed or bigbird");
    if (d_ > 256) throw Error("the fused GPU kernel keeps a query row in registers: d_head (" + std::to_string(d_) +
                              ") must be at most 256");
    const int kind = pattern_kind(v.kind);
    program_ = dev.program("flash_attention.comp",
                           "#define D_HEAD " + std::to_string(d_) + "\n#define KEY_TILE " + std::to_string(kKeyTile));
    Q_ = upload(p.Q), K_ = upload(p.K), V_ = upload(p.V);
    out_ = Buffer(static_cast<std::size_t>(p.Q.size()) * sizeof(float));
    std::vector<unsigned> padding(std::max(m_, 1), 0u), globals(std::max({n_, m_, 1}), 0u), blocks(1, 0u);
    for (std::size_t j = 0; j < p.mask.key_is_padding.size(); ++j) padding[j] = p.mask.key_is_padding[j];
    for (int g : v.global_tokens)
        if (g >= 0 && g < static_cast<int>(globals.size())) globals[g] = 1u;
    if (v.kind == VariantKind::BigBird) {
        const int qb = (n_ + v.block - 1) / v.block, kb = (m_ + v.block - 1) / v.block;
        blocks.assign(static_cast<std::size_t>(heads_) * qb * kb, 0u);
        for (int h = 0; h < heads_; ++h) {
            const MaskMatrix b = bigbird_blocks(qb, kb, v.window, v.random_blocks, head_seed(h, seed));
            for (int i = 0; i < qb; ++i)
                for (int j = 0; j < kb; ++j) blocks[(static_cast<std::size_t>(h) * qb + i) * kb + j] = b(i, j);
        }
    }
    padding_ = Buffer(padding), globals_ = Buffer(globals), blocks_ = Buffer(blocks);
    auto set = [&](const char* uniform, int value) {
        glProgramUniform1i(program_, glGetUniformLocation(program_, uniform), value);
    };
    set("n", n_), set("m", m_), set("causal", p.mask.causal), set("padding", !p.mask.key_is_padding.empty());
    set("has_globals", !v.global_tokens.empty()), set("kind", kind), set("window", v.window);
    set("dilation", v.dilation), set("stride", v.stride), set("summary", v.summary), set("block", v.block);
    set("globals", v.globals);
    const double scale = 1.0 / (std::sqrt(static_cast<double>(d_)) * p.temperature);
    glProgramUniform1f(program_, glGetUniformLocation(program_, "scale"), static_cast<float>(scale));
}

void FusedAttention::dispatch() {
    const Buffer* bound[] = {&Q_, &K_, &V_, &out_, &padding_, &globals_, &blocks_};
    for (int b = 0; b < 7; ++b) glBindBufferBase(GL_SHADER_STORAGE_BUFFER, b, bound[b]->id());
    glUseProgram(program_);
    if (heads_ > 65535) throw Error("the fused GPU kernel takes at most 65535 heads");
    glDispatchCompute(static_cast<GLuint>((n_ + 63) / 64), static_cast<GLuint>(heads_), 1);
    glMemoryBarrier(GL_SHADER_STORAGE_BARRIER_BIT | GL_BUFFER_UPDATE_BARRIER_BIT);
}

MatrixF FusedAttention::result() const {
    MatrixF out(static_cast<Eigen::Index>(heads_) * n_, d_);
    out_.download(out.data(), static_cast<std::size_t>(out.size()) * sizeof(float));
    return out;
}

void fused_attention(Device& dev, MatrixF& out, const AttentionProblem& p, const VariantParams& v, std::uint64_t seed) {
    FusedAttention f(dev, p, v, seed);
    f.dispatch();
    out = f.result();
}

}  // namespace attnscope::gpu
