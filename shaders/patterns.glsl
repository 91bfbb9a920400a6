// The sparse variants' patterns, written once: true where query i keeps key j. This file is both
// GLSL and C++: pattern.comp and flash_attention.comp include it, and so does the engine's
// reference (engine/src/variants.cpp, inside its namespace) and the GPU backend for the kind
// numbers, so the reference, the traced masks and the fused kernel cannot disagree.
// Global tokens (local) and BigBird's block table need tables: the callers apply them.

#ifndef PATTERN_FUNCTION
#define PATTERN_FUNCTION  // C++ defines it as inline
#endif

const int kPatternDense = 0;
const int kPatternLocal = 1;
const int kPatternStrided = 2;
const int kPatternFixed = 3;
const int kPatternBigBird = 4;

// local: |i - j| <= window * dilation and (i - j) % dilation == 0.
PATTERN_FUNCTION bool local_keeps(int i, int j, int window, int dilation) {
    int offset = abs(i - j);
    return offset <= window * dilation && offset % dilation == 0;
}

// strided: |i - j| < stride or (i - j) % stride == 0 (% truncates, so test the magnitude).
PATTERN_FUNCTION bool strided_keeps(int i, int j, int stride) { return abs(i - j) < stride || abs(i - j) % stride == 0; }

// fixed: j in i's block of length `block`, or among the last `summary` positions of its block.
PATTERN_FUNCTION bool fixed_keeps(int i, int j, int block, int summary) { return i / block == j / block || j % block >= block - summary; }
