#version 430
// The device's fp32 multiply-add throughput, for "% of peak" in attnscope bench: eight independent
// fma chains per invocation (enough to hide the latency), 2 flops each per step. The sum is
// written so that the compiler keeps the work.
layout(local_size_x = 256) in;
layout(std430, binding = 0) writeonly buffer Sink_ { float sink[]; };
uniform int steps;
uniform float a, b;

void main() {
    float x0 = float(gl_LocalInvocationIndex), x1 = x0 + 1.0, x2 = x0 + 2.0, x3 = x0 + 3.0;
    float x4 = x0 + 4.0, x5 = x0 + 5.0, x6 = x0 + 6.0, x7 = x0 + 7.0;
    for (int s = 0; s < steps; ++s) {
        x0 = fma(x0, a, b), x1 = fma(x1, a, b), x2 = fma(x2, a, b), x3 = fma(x3, a, b);
        x4 = fma(x4, a, b), x5 = fma(x5, a, b), x6 = fma(x6, a, b), x7 = fma(x7, a, b);
    }
    sink[gl_WorkGroupID.x * 256u + gl_LocalInvocationIndex] = x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7;
}
