#version 430
// A sparse variant's pattern, (H, n, m) as 0/1: local, strided, fixed or bigbird (patterns.glsl).
// Local's global tokens and BigBird's per-head block table (window and seeded random blocks,
// drawn on the CPU by the engine's generator) come as tables.
#include "common.glsl"
#include "patterns.glsl"
layout(local_size_x = 256) in;
layout(std430, binding = 0) writeonly buffer Pattern_ { uint pattern[]; };
layout(std430, binding = 1) readonly buffer Global_ { uint is_global[]; };  // (max(n, m)) local
layout(std430, binding = 2) readonly buffer Blocks_ { uint blocks[]; };     // (H, query blocks, key blocks) bigbird
uniform int n, m, heads;
uniform int kind;  // kPattern* (patterns.glsl)
uniform int window, dilation, stride, summary, block, globals;

void main() {
    uint id = flat_invocation(gl_WorkGroupSize.x);
    if (id >= uint(heads * n * m)) return;
    int j = int(id) % m, i = (int(id) / m) % n, h = int(id) / (n * m);
    bool keep = false;
    if (kind == kPatternLocal) keep = local_keeps(i, j, window, dilation) || is_global[i] != 0u || is_global[j] != 0u;
    if (kind == kPatternStrided) keep = strided_keeps(i, j, stride);
    if (kind == kPatternFixed) keep = fixed_keeps(i, j, stride, summary);
    if (kind == kPatternBigBird) {
        int query_blocks = (n + block - 1) / block, key_blocks = (m + block - 1) / block;
        keep = blocks[(h * query_blocks + i / block) * key_blocks + j / block] != 0u || i < globals || j < globals;
    }
    pattern[id] = keep ? 1u : 0u;
}
