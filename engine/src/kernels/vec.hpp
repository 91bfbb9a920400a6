#pragma once
// Per-ISA translation units only (gemm.cpp, softmax.cpp, chains.cpp, table.cpp): the float vector
// of the instruction set this unit is compiled for (GCC vector extensions), and its namespace
// attnscope::kernels::ATTNSCOPE_ISA_NS (set by engine/CMakeLists.txt).
#include <cstring>

#include "simd.hpp"

#ifndef ATTNSCOPE_ISA_NS
#error "compile per-ISA kernel sources through engine/CMakeLists.txt (ATTNSCOPE_ISA_NS)"
#endif

#define ATTNSCOPE_ISA_NAMESPACE_BEGIN namespace attnscope::kernels::ATTNSCOPE_ISA_NS {
#define ATTNSCOPE_ISA_NAMESPACE_END }

ATTNSCOPE_ISA_NAMESPACE_BEGIN
namespace {

#if defined(__AVX512F__)
constexpr int kLanes = 16;
#elif defined(__AVX__)
constexpr int kLanes = 8;
#else
constexpr int kLanes = 4;
#endif

typedef float vfloat __attribute__((vector_size(kLanes * sizeof(float))));
typedef unsigned vuint __attribute__((vector_size(kLanes * sizeof(unsigned))));

inline vfloat load(const float* p) {
    vfloat v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
inline void store(float* p, vfloat v) { std::memcpy(p, &v, sizeof v); }
// x - 0 is exactly x (unlike x + 0 for x = -0), so this compiles to a bare broadcast.
inline vfloat splat(float x) { return x - vfloat{}; }

}  // namespace
ATTNSCOPE_ISA_NAMESPACE_END
