// This instruction set's entry in the kernel dispatch table (see simd.hpp).
#include "vec.hpp"

#define ATTNSCOPE_STR2(x) #x
#define ATTNSCOPE_STR(x) ATTNSCOPE_STR2(x)

ATTNSCOPE_ISA_NAMESPACE_BEGIN

void tile_product(float*, long, const float*, long, long, const float*, long, int, int, int, bool);
float exp_shift_sum(float*, int, float);
bool softmax_tile(float*, long, int, int, float*, float*, float*);
void rescale_columns(float*, long, int, int, const float*);
float run_chains(long long, float);
double flops_per_round();

namespace {
#if defined(__AVX512F__) && defined(__FMA__)
constexpr const char* kInstructions = "AVX-512 FMA (512-bit)";
#elif defined(__AVX2__) && defined(__FMA__)
constexpr const char* kInstructions = "AVX2 FMA (256-bit)";
#elif defined(__AVX__)
constexpr const char* kInstructions = "AVX mul+add (256-bit)";
#else
constexpr const char* kInstructions = "SSE2 mul+add (128-bit)";
#endif
#if defined(__FMA__)
constexpr bool kFused = true;
#else
constexpr bool kFused = false;
#endif
}  // namespace

// "isa_avx2" -> "avx2"
extern const SimdKernels table = {ATTNSCOPE_STR(ATTNSCOPE_ISA_NS) + 4,
                                  kInstructions,
                                  kLanes,
                                  kFused,
                                  tile_product,
                                  exp_shift_sum,
                                  softmax_tile,
                                  rescale_columns,
                                  run_chains,
                                  flops_per_round};

ATTNSCOPE_ISA_NAMESPACE_END
