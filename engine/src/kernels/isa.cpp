// Which compiled instruction set the hot kernels run with (see simd.hpp and kernels.hpp): the
// widest this CPU supports, picked once on first use, unless set_kernel_isa chooses another.
#include <atomic>
#include <string>
#include <vector>

#include "attnscope/error.hpp"
#include "attnscope/kernels.hpp"
#include "simd.hpp"

#if !defined(ATTNSCOPE_HAVE_ISA_SSE2) && !defined(ATTNSCOPE_HAVE_ISA_NATIVE)
#error "engine/CMakeLists.txt compiled the kernels for no baseline instruction set"
#endif

#ifdef ATTNSCOPE_HAVE_ISA_SSE2
ATTNSCOPE_DECLARE_ISA(isa_sse2)
#endif
#ifdef ATTNSCOPE_HAVE_ISA_AVX2
ATTNSCOPE_DECLARE_ISA(isa_avx2)
#endif
#ifdef ATTNSCOPE_HAVE_ISA_AVX512
ATTNSCOPE_DECLARE_ISA(isa_avx512)
#endif
#ifdef ATTNSCOPE_HAVE_ISA_NATIVE
ATTNSCOPE_DECLARE_ISA(isa_native)
#endif

namespace attnscope {
namespace kernels {
namespace {

struct Compiled {
    const SimdKernels* table;
    bool supported;
};

// Widest last. __builtin_cpu_supports also checks that the OS saves the wider registers.
const std::vector<Compiled>& compiled() {
    static const std::vector<Compiled> all = [] {
        std::vector<Compiled> list;
        __builtin_cpu_init();
#ifdef ATTNSCOPE_HAVE_ISA_SSE2
        list.push_back({&isa_sse2::table, true});
#endif
#ifdef ATTNSCOPE_HAVE_ISA_AVX2
        list.push_back({&isa_avx2::table, __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")});
#endif
#ifdef ATTNSCOPE_HAVE_ISA_AVX512
        list.push_back({&isa_avx512::table, __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") &&
                                                __builtin_cpu_supports("fma")});
#endif
#ifdef ATTNSCOPE_HAVE_ISA_NATIVE
        list.push_back({&isa_native::table, true});  // built for this machine
#endif
        return list;
    }();
    return all;
}

const SimdKernels* widest_supported() {
    const SimdKernels* best = nullptr;
    for (const Compiled& c : compiled())
        if (c.supported) best = c.table;
    return best;
}

std::atomic<const SimdKernels*> g_chosen{nullptr};

}  // namespace

const SimdKernels& simd() {
    const SimdKernels* t = g_chosen.load(std::memory_order_acquire);
    if (t) return *t;
    static const SimdKernels* const initial = widest_supported();
    return *initial;
}

}  // namespace kernels

std::string kernel_isa() { return kernels::simd().isa; }

std::string kernel_isa_description() {
    const kernels::SimdKernels& s = kernels::simd();
    std::string compiled;
    for (const std::string& isa : compiled_kernel_isas()) compiled += (compiled.empty() ? "" : ", ") + isa;
    return std::string(s.isa) + " (" + s.instructions + (compiled == "native" ? "; -march=native build)" :
                                                         "; picked at run time from " + compiled + ")");
}

std::vector<std::string> compiled_kernel_isas() {
    std::vector<std::string> names;
    for (const auto& c : kernels::compiled()) names.push_back(c.table->isa);
    return names;
}

std::vector<std::string> supported_kernel_isas() {
    std::vector<std::string> names;
    for (const auto& c : kernels::compiled())
        if (c.supported) names.push_back(c.table->isa);
    return names;
}

void set_kernel_isa(const std::string& isa) {
    for (const auto& c : kernels::compiled())
        if (c.supported && isa == c.table->isa) {
            kernels::g_chosen.store(c.table, std::memory_order_release);
            return;
        }
    std::string choices;
    for (const std::string& s : supported_kernel_isas()) choices += (choices.empty() ? "" : ", ") + s;
    throw Error("kernel instruction set '" + isa + "' is not available on this CPU and build: choose " + choices);
}

}  // namespace attnscope
