#version 430
// Per head, from scores = Q K^T (H, n, m): the positional bias, the scaled scores and the masked
// logits, each (H, n, m):
//   bias    ALiBi: -slope[h] |i - j|;  relative: table[h, bucket[j - i + n - 1]]
//   scaled  (scores / sqrt(d_head) + bias) / T
//   logits  scaled, or -inf where the causal or padding mask hides key j from query i
// The T5 buckets come as a table from the CPU (the engine's t5_bucket), so both backends agree
// on every bucket edge, where a float logarithm could round across it.
#include "common.glsl"
layout(local_size_x = 256) in;
layout(std430, binding = 0) readonly buffer Scores_ { float scores[]; };
layout(std430, binding = 1) writeonly buffer Bias_ { float bias[]; };
layout(std430, binding = 2) writeonly buffer Scaled_ { float scaled[]; };
layout(std430, binding = 3) writeonly buffer Logits_ { float logits[]; };
layout(std430, binding = 4) readonly buffer Slopes_ { float slopes[]; };       // (H) ALiBi
layout(std430, binding = 5) readonly buffer Table_ { float table[]; };         // (H, 32) relative
layout(std430, binding = 6) readonly buffer Buckets_ { int buckets[]; };       // (n + m - 1) relative
layout(std430, binding = 7) readonly buffer Padding_ { uint key_is_padding[]; };  // (m)
uniform int n, m, heads;
uniform int pe;  // 0 no bias, 1 ALiBi, 2 relative
uniform int buckets_per_head;
uniform float inv_sqrt_d, inv_temperature;
uniform int causal, padding;

void main() {
    uint id = flat_invocation(gl_WorkGroupSize.x);
    if (id >= uint(heads * n * m)) return;
    int j = int(id) % m, i = (int(id) / m) % n, h = int(id) / (n * m);
    float b = 0.0;
    if (pe == 1) b = -slopes[h] * float(abs(i - j));
    if (pe == 2) b = table[h * buckets_per_head + buckets[j - i + n - 1]];
    if (pe != 0) bias[id] = b;
    float s = (scores[id] * inv_sqrt_d + b) * inv_temperature;
    scaled[id] = s;
    bool hidden = (causal != 0 && j > i) || (padding != 0 && key_is_padding[j] != 0u);
    logits[id] = hidden ? NEG_INF : s;
}
