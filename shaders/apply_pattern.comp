#version 430
// A sparse variant's logits: the exact logits, with -inf where its pattern drops the key.
#include "common.glsl"
layout(local_size_x = 256) in;
layout(std430, binding = 0) readonly buffer Logits_ { float logits[]; };
layout(std430, binding = 1) readonly buffer Pattern_ { uint pattern[]; };
layout(std430, binding = 2) writeonly buffer Out_ { float masked[]; };
uniform int count;

void main() {
    uint id = flat_invocation(gl_WorkGroupSize.x);
    if (id >= uint(count)) return;
    masked[id] = pattern[id] != 0u ? logits[id] : NEG_INF;
}
