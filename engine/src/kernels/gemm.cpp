// The two products of every score tile, as register-blocked micro-kernels on the float vector
// of the instruction set this unit is compiled for (per ISA, see simd.hpp; compiled with
// -ffp-contract=fast so that a * b + c becomes one FMA where the ISA has FMA). Both have one
// shape, with query lanes along the vectors:
//   scores  ST (keys, lanes)  = K_t (keys, d) QT (d, lanes)          A = K_t,    k = c
//   output  OT (d, lanes)    += V_t^T (d, keys) P^T (keys, lanes)    A = V_t^T,  k = key
// so neither operand is ever repacked (Eigen's GEMM repacks both on every call and reaches
// about 70% of the FMA peak on these small shapes).
#include "vec.hpp"

ATTNSCOPE_ISA_NAMESPACE_BEGIN
namespace {

// Register blocks: kRows rows of C by up to kPanels vectors of lanes, kRows * kPanels accumulators.
#if defined(__AVX512F__)
constexpr int kRows = 4, kPanels = 4;  // 16 of 32 registers
#else
constexpr int kRows = 2, kPanels = 4;  // 8 of 16 registers
#endif

// Keeps v in a register: otherwise GCC folds the load into every multiply-add that uses it,
// reloading the same vector kRows times (a load-bound loop on AVX-512).
inline void in_register(vfloat& v) {
#if defined(__AVX512F__)
    __asm__("" : "+v"(v));
#else
    __asm__("" : "+x"(v));
#endif
}

template <int Rows, int Panels>
inline void block(float* C, long ldC, const float* A, long a_row, long a_k, const float* B, long ldB, int K,
                  bool accumulate) {
    vfloat acc[Rows][Panels];
    for (int r = 0; r < Rows; ++r)
        for (int p = 0; p < Panels; ++p) acc[r][p] = accumulate ? load(C + r * ldC + p * kLanes) : vfloat{};
    for (int k = 0; k < K; ++k) {
        vfloat b[Panels];
        for (int p = 0; p < Panels; ++p) {
            b[p] = load(B + k * ldB + p * kLanes);
            in_register(b[p]);
        }
        for (int r = 0; r < Rows; ++r) {
            const vfloat a = splat(A[r * a_row + k * a_k]);
            for (int p = 0; p < Panels; ++p) acc[r][p] += a * b[p];
        }
    }
    for (int r = 0; r < Rows; ++r)
        for (int p = 0; p < Panels; ++p) store(C + r * ldC + p * kLanes, acc[r][p]);
}

template <int Rows>
void row_block(float* C, long ldC, const float* A, long a_row, long a_k, const float* B, long ldB, int lanes, int K,
               bool accumulate) {
    int p0 = 0;
    for (; p0 + kPanels * kLanes <= lanes; p0 += kPanels * kLanes)
        block<Rows, kPanels>(C + p0, ldC, A, a_row, a_k, B + p0, ldB, K, accumulate);
    switch ((lanes - p0) / kLanes) {
        case 0:
            break;
        case 1:
            block<Rows, 1>(C + p0, ldC, A, a_row, a_k, B + p0, ldB, K, accumulate);
            break;
        case 2:
            block<Rows, 2>(C + p0, ldC, A, a_row, a_k, B + p0, ldB, K, accumulate);
            break;
        default:
            block<Rows, 3>(C + p0, ldC, A, a_row, a_k, B + p0, ldB, K, accumulate);
            break;
    }
}

static_assert(kPanels == 4, "row_block's remainder switch covers 1 to 3 panels");

}  // namespace

void tile_product(float* C, long ldC, const float* A, long a_row, long a_k, const float* B, long ldB, int rows,
                  int lanes, int K, bool accumulate) {
    int r0 = 0;
    for (; r0 + kRows <= rows; r0 += kRows)
        row_block<kRows>(C + r0 * ldC, ldC, A + r0 * a_row, a_row, a_k, B, ldB, lanes, K, accumulate);
    for (; r0 < rows; ++r0) row_block<1>(C + r0 * ldC, ldC, A + r0 * a_row, a_row, a_k, B, ldB, lanes, K, accumulate);
}

ATTNSCOPE_ISA_NAMESPACE_END
