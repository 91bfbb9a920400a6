// libFuzzer target: any bytes as a safetensors file. Parsing must either succeed, after which
// every tensor reads within bounds, or throw attnscope::Error; anything else (a crash, a sanitizer
// report, another exception type) is a bug.
#include <cstddef>
#include <cstdint>

#include "attnscope/error.hpp"
#include "attnscope/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const auto file = attnscope::SafetensorsFile::parse(data, size, "fuzz input");
        for (const attnscope::TensorInfo& t : file.tensors()) {
            const std::vector<float> values = file.read_f32(t.name);
            std::size_t elements = 1;
            for (std::int64_t d : t.shape) elements *= static_cast<std::size_t>(d);
            if (values.size() != elements) __builtin_trap();
        }
    } catch (const attnscope::Error&) {
    }
    return 0;
}
