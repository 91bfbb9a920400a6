// Shared by the compute ops (attnscope_gpu). Every tensor is a float SSBO, row-major, and a
// stacked multi-head tensor puts head h's (rows, cols) block at h * rows * cols.
// Masked logits are -inf, as in the CPU engine.
const float NEG_INF = uintBitsToFloat(0xff800000u);

// The flat index of this invocation over a 2D grid of workgroups (x fastest), so that one
// dispatch can cover more than 65535 workgroups.
// (gl_WorkGroupSize is declared only after the shader's layout line, hence the parameter.)
uint flat_workgroup() { return gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x; }
uint flat_invocation(uint group_size) { return flat_workgroup() * group_size + gl_LocalInvocationIndex; }
