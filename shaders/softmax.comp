#version 430
// Row-wise softmax of logits (rows, cols), one workgroup per row: subtract the row max, exponentiate,
// divide by the sum. A row whose every logit is -inf (all keys masked) gives zeros, never NaN.
#include "common.glsl"
layout(local_size_x = 128) in;
layout(std430, binding = 0) readonly buffer Logits_ { float logits[]; };
layout(std430, binding = 1) writeonly buffer Weights_ { float weights[]; };
uniform int rows, cols;

shared float partial[128];

// Combines the workgroup's partial values with max (op 0) or + (op 1); every invocation gets the result.
float reduce(float v, int op) {
    uint t = gl_LocalInvocationIndex;
    partial[t] = v;
    barrier();
    for (uint stride = 64u; stride > 0u; stride >>= 1) {
        if (t < stride) partial[t] = op == 0 ? max(partial[t], partial[t + stride]) : partial[t] + partial[t + stride];
        barrier();
    }
    float result = partial[0];
    barrier();
    return result;
}

void main() {
    uint row = flat_workgroup();
    if (row >= uint(rows)) return;  // uniform across the workgroup: barriers stay safe
    uint base = row * uint(cols), t = gl_LocalInvocationIndex;
    float row_max = NEG_INF;
    for (uint j = t; j < uint(cols); j += 128u) row_max = max(row_max, logits[base + j]);
    row_max = reduce(row_max, 0);
    if (row_max == NEG_INF) {
        for (uint j = t; j < uint(cols); j += 128u) weights[base + j] = 0.0;
        return;
    }
    float sum = 0.0;
    for (uint j = t; j < uint(cols); j += 128u) {
        float l = logits[base + j];
        sum += l == NEG_INF ? 0.0 : exp(l - row_max);
    }
    sum = reduce(sum, 1);
    for (uint j = t; j < uint(cols); j += 128u) {
        float l = logits[base + j];
        weights[base + j] = l == NEG_INF ? 0.0 : exp(l - row_max) / sum;
    }
}
