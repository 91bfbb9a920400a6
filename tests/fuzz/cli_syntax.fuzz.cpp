// libFuzzer target: any bytes as the command line's own number syntaxes: `bench --n` / `render
// --scaling-n` (engine/src/bench.cpp: parse_bench_sizes: "4096", "256,1024", "256..65536") and
// `render --size WxH` (app/cli/window_size.cpp: parse_window_size). Each must either throw
// attnscope::Error or give: for --n, a non-empty sorted list of distinct lengths in [1, 2^30] that
// reads back the same when written as a list; for --size, width and height in [0, 99999], accepted
// exactly when the former std::regex (\d{1,5})x(\d{1,5}) matched. Anything else (a crash, a sanitizer
// report, another exception type such as std::out_of_range from stoi) is a bug.
#include <cstddef>
#include <cstdint>
#include <regex>
#include <string>
#include <vector>

#include "attnscope/bench.hpp"
#include "attnscope/error.hpp"
#include "cli/window_size.hpp"

namespace {

void check_sizes(const std::string& spec) {
    std::vector<int> sizes;
    try {
        sizes = attnscope::parse_bench_sizes(spec);
    } catch (const attnscope::Error&) {
        return;
    }
    if (sizes.empty()) __builtin_trap();
    std::string list;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        if (sizes[i] < 1 || sizes[i] > (1 << 30) || (i > 0 && sizes[i] <= sizes[i - 1])) __builtin_trap();
        list += (i ? "," : "") + std::to_string(sizes[i]);
    }
    if (attnscope::parse_bench_sizes(list) != sizes) __builtin_trap();
}

void check_window_size(const std::string& spec) {
    bool accepted = true;
    attnscope::cli::WindowSize size;
    try {
        size = attnscope::cli::parse_window_size(spec);
    } catch (const attnscope::Error&) {
        accepted = false;
    }
    if (accepted && (size.width < 0 || size.width > 99999 || size.height < 0 || size.height > 99999)) __builtin_trap();
    if (spec.size() <= 64) {  // the regex render.cpp used before (libstdc++'s recurses per character)
        static const std::regex former(R"((\d{1,5})x(\d{1,5}))");
        std::smatch m;
        const bool matched = std::regex_match(spec, m, former);
        if (matched != accepted) __builtin_trap();
        if (matched && (std::stoi(m[1]) != size.width || std::stoi(m[2]) != size.height)) __builtin_trap();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    check_sizes(text);
    check_window_size(text);
    return 0;
}
