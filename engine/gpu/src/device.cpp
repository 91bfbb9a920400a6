#include "attnscope/gpu/device.hpp"

#include <epoxy/gl.h>

#include <algorithm>
#include <cmath>

#include "attnscope/error.hpp"

namespace attnscope::gpu {

// --- Buffer ---

Buffer::Buffer(std::size_t bytes, const void* data) : bytes_(std::max<std::size_t>(bytes, 16)) {
    glGenBuffers(1, &id_);
    glBindBuffer(GL_SHADER_STORAGE_BUFFER, id_);
    glBufferData(GL_SHADER_STORAGE_BUFFER, static_cast<GLsizeiptr>(bytes_), nullptr, GL_DYNAMIC_COPY);
    if (data && bytes > 0) glBufferSubData(GL_SHADER_STORAGE_BUFFER, 0, static_cast<GLsizeiptr>(bytes), data);
    if (glGetError() == GL_OUT_OF_MEMORY)
        throw Error("the GPU is out of memory for a " + std::to_string(bytes >> 20) + " MB buffer: use a shorter text");
}

Buffer::~Buffer() {
    if (id_) glDeleteBuffers(1, &id_);
}

Buffer::Buffer(Buffer&& other) noexcept : id_(other.id_), bytes_(other.bytes_) { other.id_ = 0, other.bytes_ = 0; }

Buffer& Buffer::operator=(Buffer&& other) noexcept {
    if (this != &other) {
        if (id_) glDeleteBuffers(1, &id_);
        id_ = other.id_, bytes_ = other.bytes_;
        other.id_ = 0, other.bytes_ = 0;
    }
    return *this;
}

void Buffer::upload(const void* data, std::size_t bytes, std::size_t offset) {
    glBindBuffer(GL_SHADER_STORAGE_BUFFER, id_);
    glBufferSubData(GL_SHADER_STORAGE_BUFFER, static_cast<GLintptr>(offset), static_cast<GLsizeiptr>(bytes), data);
}

void Buffer::download(void* data, std::size_t bytes, std::size_t offset) const {
    glMemoryBarrier(GL_BUFFER_UPDATE_BARRIER_BIT);
    glFinish();
    glBindBuffer(GL_SHADER_STORAGE_BUFFER, id_);
    glGetBufferSubData(GL_SHADER_STORAGE_BUFFER, static_cast<GLintptr>(offset), static_cast<GLsizeiptr>(bytes), data);
}

std::vector<float> Buffer::floats() const {
    std::vector<float> v(bytes_ / sizeof(float));
    download(v.data(), v.size() * sizeof(float));
    return v;
}

// --- Device ---

Device::Device() {
    const int version = epoxy_gl_version();  // 0 without a current context
    if (version < 43 || !epoxy_is_desktop_gl()) {
        const char* renderer = version > 0 ? reinterpret_cast<const char*>(glGetString(GL_RENDERER)) : nullptr;
        throw Error(version == 0 ? std::string("no current OpenGL context for the GPU backend")
                                 : "the GPU backend needs OpenGL 4.3 compute shaders, but " +
                                       std::string(renderer ? renderer : "the driver") + " offers OpenGL " +
                                       std::to_string(version / 10) + "." + std::to_string(version % 10) +
                                       ": update the driver, or use Mesa (LIBGL_ALWAYS_SOFTWARE=1 gives llvmpipe)");
    }
}

Device::~Device() {
    for (const auto& [key, program] : programs_) glDeleteProgram(program);
}

unsigned Device::program(const std::string& file, const std::string& defines) {
    const std::string key = file + "\n" + defines;
    auto it = programs_.find(key);
    if (it == programs_.end()) it = programs_.emplace(key, build_compute_program(file, sources_, defines)).first;
    return it->second;
}

std::string Device::renderer() const {
    const char* r = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
    const int v = epoxy_gl_version();
    return std::string(r ? r : "?") + ", OpenGL " + std::to_string(v / 10) + "." + std::to_string(v % 10);
}

void Device::finish() const { glFinish(); }

// --- ops ---
namespace {

// Uniform setters by name; a name the compiler optimized away has location -1, which GL ignores.
struct Uniforms {
    GLuint program;
    GLint at(const char* name) const { return glGetUniformLocation(program, name); }
    const Uniforms& i(const char* name, int v) const { return glProgramUniform1i(program, at(name), v), *this; }
    const Uniforms& f(const char* name, float v) const { return glProgramUniform1f(program, at(name), v), *this; }
    const Uniforms& i3(const char* name, int x, int y, int z) const {
        return glProgramUniform3i(program, at(name), x, y, z), *this;
    }
};

void bind(int binding, const Buffer& b) { glBindBufferBase(GL_SHADER_STORAGE_BUFFER, binding, b.id()); }

// Runs `groups` workgroups (split over x and y past the 65535 limit of one dimension); the
// shaders number them with flat_workgroup() and skip those past the end.
void dispatch(GLuint program, long long groups) {
    glUseProgram(program);
    const long long x = std::min<long long>(std::max<long long>(groups, 1), 65535);
    const long long y = (std::max<long long>(groups, 1) + x - 1) / x;
    if (y > 65535) throw Error("a GPU dispatch of " + std::to_string(groups) + " workgroups is too large: use a shorter text");
    glDispatchCompute(static_cast<GLuint>(x), static_cast<GLuint>(y), 1);
    glMemoryBarrier(GL_SHADER_STORAGE_BARRIER_BIT | GL_BUFFER_UPDATE_BARRIER_BIT);
}

long long ceil_div(long long a, long long b) { return (a + b - 1) / b; }

}  // namespace

void matmul(Device& dev, Buffer& C, Layout c, const Buffer& A, Layout a, const Buffer& B, Layout b, int M, int N, int K,
            int batch, float alpha) {
    const GLuint prog = dev.program("matmul.comp");
    Uniforms{prog}
        .i3("a_layout", a.offset, a.row_stride, a.col_stride)
        .i3("b_layout", b.offset, b.row_stride, b.col_stride)
        .i3("c_layout", c.offset, c.row_stride, c.col_stride)
        .i3("batch_stride", a.batch_stride, b.batch_stride, c.batch_stride)
        .i("M", M)
        .i("N", N)
        .i("K", K)
        .f("alpha", alpha);
    bind(0, A), bind(1, B), bind(2, C);
    glUseProgram(prog);
    glDispatchCompute(static_cast<GLuint>(ceil_div(N, 16)), static_cast<GLuint>(ceil_div(M, 16)),
                      static_cast<GLuint>(batch));
    glMemoryBarrier(GL_SHADER_STORAGE_BARRIER_BIT | GL_BUFFER_UPDATE_BARRIER_BIT);
}

void split_heads(Device& dev, Buffer& out, const Buffer& x, int rows, int heads, int d_head, bool rope) {
    std::vector<double> inv_freq(std::max(d_head / 2, 1));  // (d_head / 2) as the engine's rope_angle
    for (int p = 0; p < d_head / 2; ++p) inv_freq[p] = std::pow(10000.0, -2.0 * p / d_head);
    const Buffer freq(inv_freq);
    const GLuint prog = dev.program("split_heads.comp");
    Uniforms{prog}.i("rows", rows).i("d_model", heads * d_head).i("d_head", d_head).i("heads", heads).i("rope", rope);
    bind(0, x), bind(1, out), bind(2, freq);
    dispatch(prog, ceil_div(static_cast<long long>(heads) * rows * ((d_head + 1) / 2), 256));
}

void logits(Device& dev, Buffer& bias, Buffer& scaled, Buffer& logits_out, const Buffer& scores, const LogitsParams& p,
            const Buffer& slopes, const Buffer& table, const Buffer& buckets, const Buffer& key_is_padding) {
    const GLuint prog = dev.program("logits.comp");
    Uniforms{prog}
        .i("n", p.n)
        .i("m", p.m)
        .i("heads", p.heads)
        .i("pe", p.pe)
        .i("buckets_per_head", p.buckets_per_head)
        .f("inv_sqrt_d", static_cast<float>(1.0 / std::sqrt(static_cast<double>(p.d_head))))
        .f("inv_temperature", static_cast<float>(1.0 / p.temperature))
        .i("causal", p.causal)
        .i("padding", p.padding);
    bind(0, scores), bind(1, bias), bind(2, scaled), bind(3, logits_out);
    bind(4, slopes), bind(5, table), bind(6, buckets), bind(7, key_is_padding);
    dispatch(prog, ceil_div(static_cast<long long>(p.heads) * p.n * p.m, 256));
}

void softmax(Device& dev, Buffer& weights, const Buffer& logits_in, int rows, int cols) {
    const GLuint prog = dev.program("softmax.comp");
    Uniforms{prog}.i("rows", rows).i("cols", cols);
    bind(0, logits_in), bind(1, weights);
    dispatch(prog, rows);
}

void pattern(Device& dev, Buffer& out, const PatternParams& p, const Buffer& is_global, const Buffer& blocks) {
    const GLuint prog = dev.program("pattern.comp");
    Uniforms{prog}
        .i("n", p.n)
        .i("m", p.m)
        .i("heads", p.heads)
        .i("kind", p.kind)
        .i("window", p.window)
        .i("dilation", p.dilation)
        .i("stride", p.stride)
        .i("summary", p.summary)
        .i("block", p.block)
        .i("globals", p.globals);
    bind(0, out), bind(1, is_global), bind(2, blocks);
    dispatch(prog, ceil_div(static_cast<long long>(p.heads) * p.n * p.m, 256));
}

void topk(Device& dev, Buffer& out, const Buffer& logits_in, int n, int m, int heads, int k) {
    const GLuint prog = dev.program("topk.comp");
    Uniforms{prog}.i("n", n).i("m", m).i("heads", heads).i("k", k);
    bind(0, logits_in), bind(1, out);
    dispatch(prog, static_cast<long long>(heads) * n * ceil_div(m, 128));
}

void apply_pattern(Device& dev, Buffer& out, const Buffer& logits_in, const Buffer& pattern_in, int count) {
    const GLuint prog = dev.program("apply_pattern.comp");
    Uniforms{prog}.i("count", count);
    bind(0, logits_in), bind(1, pattern_in), bind(2, out);
    dispatch(prog, ceil_div(count, 256));
}

}  // namespace attnscope::gpu
