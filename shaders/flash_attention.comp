#version 430
// Exact attention fused in one pass for long sequences (FlashAttention's online softmax): it never
// forms the (n, m) matrix. A workgroup takes 64 queries of one head, one query per invocation
// (q and the running output o in registers); keys and values stream through shared memory in tiles
// of KEY_TILE. Per tile, with s = scale q.k over the kept keys:
//   mx' = max(mx, max s),  a = exp(mx - mx'),  l' = a l + sum exp(s - mx'),  o' = a o + sum exp(s - mx') v
// and finally out = o / l (zeros for a query with no kept key). Sparse patterns (patterns.glsl) and
// the causal and padding masks drop keys; whole tiles that the causal mask or a local window
// cannot reach are skipped. D_HEAD and KEY_TILE are #defined by the host (one program per d_head). The
// pattern kind stays a uniform: specializing it let Mesa unroll the tile loops, and llvmpipe then
// took minutes to compile some kinds.
// Stacked heads: Q (H*n, d), K and V (H*m, d), out (H*n, d).
#include "common.glsl"
#include "patterns.glsl"
layout(local_size_x = 64) in;
layout(std430, binding = 0) readonly buffer Q_ { float Q[]; };
layout(std430, binding = 1) readonly buffer K_ { float K[]; };
layout(std430, binding = 2) readonly buffer V_ { float V[]; };
layout(std430, binding = 3) writeonly buffer Out_ { float out_rows[]; };
layout(std430, binding = 4) readonly buffer Padding_ { uint key_is_padding[]; };  // (m)
layout(std430, binding = 5) readonly buffer Global_ { uint is_global[]; };        // (max(n, m)) local
layout(std430, binding = 6) readonly buffer Blocks_ { uint blocks[]; };           // (H, query blocks, key blocks) bigbird
uniform int n, m;
uniform float scale;  // 1 / (sqrt(d_head) T)
uniform int causal, padding, has_globals;
uniform int kind;     // kPattern* (patterns.glsl)
uniform int window, dilation, stride, summary, block, globals;

// Rows in vec4s (d_head padded with zeros to D4 = ceil(d_head / 4) of them): a quarter of the loop
// trips, and 16-byte shared-memory reads. (llvmpipe also stops a shader after 65535 loop trips.)
const int D4 = (D_HEAD + 3) / 4;
shared vec4 k_tile[KEY_TILE * D4];
shared vec4 v_tile[KEY_TILE * D4];

// Elements [4 c4, 4 c4 + 4) of row `row` of a (rows, D_HEAD) matrix in `which` (0 Q, 1 K, 2 V), zero-padded.
vec4 load4(int which, int row, int c4) {
    vec4 x = vec4(0.0);
    for (int e = 0; e < 4; ++e) {
        int c = 4 * c4 + e;
        if (c < D_HEAD) x[e] = which == 0 ? Q[row * D_HEAD + c] : which == 1 ? K[row * D_HEAD + c] : V[row * D_HEAD + c];
    }
    return x;
}

bool keeps(int h, int i, int j) {
    if (causal != 0 && j > i) return false;
    if (padding != 0 && key_is_padding[j] != 0u) return false;
    if (kind == kPatternLocal) return local_keeps(i, j, window, dilation) || (has_globals != 0 && (is_global[i] != 0u || is_global[j] != 0u));
    if (kind == kPatternStrided) return strided_keeps(i, j, stride);
    if (kind == kPatternFixed) return fixed_keeps(i, j, stride, summary);
    if (kind == kPatternBigBird) {
        int query_blocks = (n + block - 1) / block, key_blocks = (m + block - 1) / block;
        return blocks[(h * query_blocks + i / block) * key_blocks + j / block] != 0u || i < globals || j < globals;
    }
    return true;
}

void main() {
    int h = int(gl_WorkGroupID.y), q0 = int(gl_WorkGroupID.x) * 64;
    int lid = int(gl_LocalInvocationIndex), i = q0 + lid;
    bool has_query = i < n;
    int q_last = min(q0 + 63, n - 1);
    vec4 q[D4], o[D4];
    for (int c = 0; c < D4; ++c) {
        q[c] = has_query ? scale * load4(0, h * n + i, c) : vec4(0.0);
        o[c] = vec4(0.0);
    }
    float mx = NEG_INF, l = 0.0;
    int reach = window * dilation;
    for (int t0 = 0; t0 < m; t0 += KEY_TILE) {
        // Skips are uniform over the workgroup, so every invocation meets the same barriers.
        if (causal != 0 && t0 > q_last) break;
        if (kind == kPatternLocal && has_globals == 0 && (t0 > q_last + reach || t0 + KEY_TILE - 1 < q0 - reach)) continue;
        for (int e = lid; e < KEY_TILE * D4; e += 64) {
            int j = t0 + e / D4;
            k_tile[e] = j < m ? load4(1, h * m + j, e % D4) : vec4(0.0);
            v_tile[e] = j < m ? load4(2, h * m + j, e % D4) : vec4(0.0);
        }
        barrier();
        if (has_query) {
            float s[KEY_TILE];
            float tile_max = NEG_INF;
            for (int u = 0; u < KEY_TILE; ++u) {
                int j = t0 + u;
                float dot_qk = 0.0;
                for (int c = 0; c < D4; ++c) dot_qk += dot(q[c], k_tile[u * D4 + c]);
                s[u] = j < m && keeps(h, i, j) ? dot_qk : NEG_INF;
                tile_max = max(tile_max, s[u]);
            }
            if (tile_max != NEG_INF) {
                float new_max = max(mx, tile_max);
                float a = mx == NEG_INF ? 0.0 : exp(mx - new_max);
                l *= a;
                for (int c = 0; c < D4; ++c) o[c] *= a;
                for (int u = 0; u < KEY_TILE; ++u) {
                    float p = s[u] == NEG_INF ? 0.0 : exp(s[u] - new_max);
                    l += p;
                    for (int c = 0; c < D4; ++c) o[c] += p * v_tile[u * D4 + c];
                }
                mx = new_max;
            }
        }
        barrier();
    }
    if (has_query)
        for (int c = 0; c < D_HEAD; ++c) out_rows[(h * n + i) * D_HEAD + c] = l > 0.0 ? o[c / 4][c % 4] / l : 0.0;
}
