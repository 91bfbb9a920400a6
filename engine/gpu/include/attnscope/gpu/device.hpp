#pragma once
// The OpenGL compute device: storage buffers, the compiled programs, and one function per op in
// shaders/ (each op's definition is in its .comp file). Needs a current OpenGL 4.3 context on the
// calling thread for its whole life; use it from that thread only.
//
// Shape legend (as the CPU engine): n queries, m keys, H heads, d = d_head, d_model = H d.
// Buffers hold float32, row-major; stacked multi-head tensors put head h's (rows, cols) block
// at h * rows * cols.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "attnscope/gpu/program.hpp"

namespace attnscope::gpu {

// A shader storage buffer of `bytes` bytes (at least 16: drivers dislike empty ones). Move-only.
class Buffer {
public:
    Buffer() = default;
    explicit Buffer(std::size_t bytes, const void* data = nullptr);
    template <class T>
    explicit Buffer(const std::vector<T>& data) : Buffer(data.size() * sizeof(T), data.data()) {}
    ~Buffer();
    Buffer(Buffer&& other) noexcept;
    Buffer& operator=(Buffer&& other) noexcept;
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;

    void upload(const void* data, std::size_t bytes, std::size_t offset = 0);
    void download(void* data, std::size_t bytes, std::size_t offset = 0) const;
    std::vector<float> floats() const;  // the whole buffer as float32
    unsigned id() const { return id_; }
    std::size_t bytes() const { return bytes_; }

private:
    unsigned id_ = 0;
    std::size_t bytes_ = 0;
};

// Where a matrix lies in a buffer: element (r, c) at offset + r * row_stride + c * col_stride
// (in floats), plus batch * batch_stride for the z-th matrix of a batch.
struct Layout {
    int offset = 0, row_stride = 0, col_stride = 1, batch_stride = 0;
};
inline Layout row_major(int cols, int batch_stride = 0) { return {0, cols, 1, batch_stride}; }

class Device {
public:
    // Throws Error when the current context is not OpenGL 4.3 or newer (or there is none).
    Device();
    ~Device();
    Device(const Device&) = delete;
    Device& operator=(const Device&) = delete;

    // The program for `file` compiled with `defines`, built on first use and kept.
    unsigned program(const std::string& file, const std::string& defines = "");
    std::string renderer() const;  // e.g. "llvmpipe (LLVM 15.0.6, 256 bits), OpenGL 4.5"
    void finish() const;           // waits for every queued dispatch

private:
    std::map<std::string, unsigned> programs_;
    SourceLookup sources_ = embedded_sources();
};

// --- ops (shaders/NAME.comp) ---

// matmul.comp: C = alpha A B for `batch` matrices; A (M, K), B (K, N), C (M, N) as laid out.
void matmul(Device& dev, Buffer& C, Layout c, const Buffer& A, Layout a, const Buffer& B, Layout b, int M, int N, int K,
            int batch = 1, float alpha = 1.0f);
// split_heads.comp: x (rows, d_model) -> out (H, rows, d); RoPE rotates row r by r * inv_freq[pair]
// when `rope` (inv_freq: (d / 2) doubles, 10000^(-2 pair / d)).
void split_heads(Device& dev, Buffer& out, const Buffer& x, int rows, int heads, int d_head, bool rope);

// logits.comp: from scores (H, n, m), the bias (ALiBi/relative; untouched otherwise), the scaled scores and
// the masked logits.
struct LogitsParams {
    int n = 0, m = 0, heads = 0, d_head = 1;
    double temperature = 1.0;
    int pe = 0;  // 0 none, 1 ALiBi (slopes: H floats), 2 relative (table: H x buckets, buckets: n + m - 1 ints)
    int buckets_per_head = 0;
    bool causal = false, padding = false;  // padding: key_is_padding (m uints)
};
void logits(Device& dev, Buffer& bias, Buffer& scaled, Buffer& logits, const Buffer& scores, const LogitsParams& p,
            const Buffer& slopes, const Buffer& table, const Buffer& buckets, const Buffer& key_is_padding);
// softmax.comp: weights (rows, cols) = softmax of each row of logits.
void softmax(Device& dev, Buffer& weights, const Buffer& logits, int rows, int cols);

// pattern.comp: a sparse pattern (H, n, m) as 0/1 uints. kind 1 local (is_global: max(n, m) uints),
// 2 strided, 3 fixed, 4 bigbird (blocks: H x query blocks x key blocks uints).
struct PatternParams {
    int n = 0, m = 0, heads = 0, kind = 0;
    int window = 0, dilation = 1, stride = 1, summary = 1, block = 1, globals = 0;
};
void pattern(Device& dev, Buffer& out, const PatternParams& p, const Buffer& is_global, const Buffer& blocks);
// topk.comp: the top-k pattern (H, n, m) of logits.
void topk(Device& dev, Buffer& out, const Buffer& logits, int n, int m, int heads, int k);
// apply_pattern.comp: out = logits where pattern, else -inf; `count` elements.
void apply_pattern(Device& dev, Buffer& out, const Buffer& logits, const Buffer& pattern, int count);

}  // namespace attnscope::gpu
