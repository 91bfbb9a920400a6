#version 430
// The top-k pattern, (H, n, m) as 0/1: key j is kept when fewer than k finite logits of its row
// rank above it (larger, or equal at a lower index: ties go to the lower index, as the engine's
// stable sort). Each invocation counts its rank over the row in shared-memory tiles: O(n m^2).
#include "common.glsl"
layout(local_size_x = 128) in;
layout(std430, binding = 0) readonly buffer Logits_ { float logits[]; };
layout(std430, binding = 1) writeonly buffer Pattern_ { uint pattern[]; };
uniform int n, m, heads, k;

shared float tile[128];

void main() {
    // One workgroup per (row, 128 keys): the row's logits stream through shared memory.
    int chunks = (m + 127) / 128;
    int group = int(flat_workgroup());
    if (group >= heads * n * chunks) return;  // uniform across the workgroup
    int row = group / chunks, j = (group % chunks) * 128 + int(gl_LocalInvocationIndex);
    int base = row * m;
    float mine = j < m ? logits[base + j] : NEG_INF;
    int above = 0;
    for (int t0 = 0; t0 < m; t0 += 128) {
        int t = t0 + int(gl_LocalInvocationIndex);
        tile[gl_LocalInvocationIndex] = t < m ? logits[base + t] : NEG_INF;
        barrier();
        for (int u = 0; u < 128 && t0 + u < m; ++u) {
            float other = tile[u];
            above += other > mine || (other == mine && t0 + u < j) ? 1 : 0;
        }
        barrier();
    }
    if (j < m) pattern[base + j] = mine != NEG_INF && above < k ? 1u : 0u;
}
