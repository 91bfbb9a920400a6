#version 430
// The split into heads: x (rows, d_model) -> out (H, rows, d_head), head h taking columns
// [h d_head, (h+1) d_head). With rope = 1, dimensions (2p, 2p+1) of row r rotate by the angle
// r * inv_freq[p] (RoFormer's interleaved layout; an odd last dimension stays as is). The angle
// is formed and reduced modulo 2 pi in double: r * inv_freq reaches ~1000 radians, where a
// float angle would already be off by 1e-4.
#include "common.glsl"
layout(local_size_x = 256) in;
layout(std430, binding = 0) readonly buffer X_ { float x[]; };
layout(std430, binding = 1) writeonly buffer Out_ { float out_heads[]; };
layout(std430, binding = 2) readonly buffer Freq_ { double inv_freq[]; };  // (d_head / 2) 10000^(-2p/d_head)
uniform int rows, d_model, d_head, heads;
uniform int rope;

void main() {
    uint id = flat_invocation(gl_WorkGroupSize.x);
    int pairs = (d_head + 1) / 2;  // the odd last dimension is a "pair" of one
    if (id >= uint(heads * rows * pairs)) return;
    int p = int(id) % pairs, r = (int(id) / pairs) % rows, h = int(id) / (pairs * rows);
    int c0 = 2 * p, src = r * d_model + h * d_head + c0, dst = (h * rows + r) * d_head + c0;
    if (c0 + 1 >= d_head) {
        out_heads[dst] = x[src];
        return;
    }
    float x0 = x[src], x1 = x[src + 1];
    if (rope == 0) {
        out_heads[dst] = x0;
        out_heads[dst + 1] = x1;
        return;
    }
    const double two_pi = 6.283185307179586476925LF;
    double angle = double(r) * inv_freq[p];
    float a = float(angle - floor(angle / two_pi) * two_pi);
    float c = cos(a), s = sin(a);
    out_heads[dst] = x0 * c - x1 * s;
    out_heads[dst + 1] = x0 * s + x1 * c;
}
