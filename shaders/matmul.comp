#version 430
// C = alpha A B for a batch of strided matrices, one output element per invocation. (Shared-memory
// tiles with barriers ran 10x slower on llvmpipe, where CI runs; the traced sizes are small, and the
// long-sequence path is flash_attention.comp.)
// A is (M, K), B (K, N), C (M, N); element (r, c) of X sits at X[layout.x + r * layout.y + c * layout.z]
// plus batch z times batch_stride (a, b, c). Strides let one op read a head's columns of Q,
// K transposed, and write a head's output into its columns of concat.
#include "common.glsl"
layout(local_size_x = 16, local_size_y = 16) in;
layout(std430, binding = 0) readonly buffer A_ { float A[]; };
layout(std430, binding = 1) readonly buffer B_ { float B[]; };
layout(std430, binding = 2) writeonly buffer C_ { float C[]; };
uniform ivec3 a_layout, b_layout, c_layout;  // (offset, row stride, column stride)
uniform ivec3 batch_stride;                  // added per batch z to the offsets of A, B and C
uniform int M, N, K;
uniform float alpha;

void main() {
    int z = int(gl_WorkGroupID.z);
    int row = int(gl_GlobalInvocationID.y), col = int(gl_GlobalInvocationID.x);
    if (row >= M || col >= N) return;
    int a = a_layout.x + z * batch_stride.x + row * a_layout.y;
    int b = b_layout.x + z * batch_stride.y + col * b_layout.z;
    float acc = 0.0;
    for (int k = 0; k < K; ++k) acc += A[a + k * a_layout.z] * B[b + k * b_layout.y];
    C[c_layout.x + z * batch_stride.z + row * c_layout.y + col * c_layout.z] = alpha * acc;
}
