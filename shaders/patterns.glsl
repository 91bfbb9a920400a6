// The sparse variants' patterns (engine/src/variants.cpp is the reference): true where query i
// keeps key j. Shared by pattern.comp (the traced masks) and flash_attention.comp (the fused kernel).
// Kinds: 0 dense, 1 local, 2 strided, 3 fixed, 4 bigbird.

// local: |i - j| <= window * dilation and (i - j) % dilation == 0; global rows and columns are
// handled by the caller (they need a table).
bool local_keeps(int i, int j, int window, int dilation) {
    int offset = abs(i - j);
    return offset <= window * dilation && offset % dilation == 0;
}

// strided: |i - j| < stride or (i - j) % stride == 0 (C++'s % truncates, so test the magnitude).
bool strided_keeps(int i, int j, int stride) { return abs(i - j) < stride || abs(i - j) % stride == 0; }

// fixed: j in i's block of length `block`, or among the last `summary` positions of its block.
bool fixed_keeps(int i, int j, int block, int summary) { return i / block == j / block || j % block >= block - summary; }
