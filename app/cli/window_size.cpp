#include "cli/window_size.hpp"

#include "attnscope/error.hpp"

namespace attnscope::cli {
namespace {

// The digits of spec[from, to) as a number, or -1 unless they are 1 to 5 ASCII digits.
int digits(const std::string& spec, std::size_t from, std::size_t to) {
    if (to <= from || to - from > 5) return -1;
    int v = 0;
    for (std::size_t i = from; i < to; ++i) {
        if (spec[i] < '0' || spec[i] > '9') return -1;
        v = v * 10 + (spec[i] - '0');
    }
    return v;
}

}  // namespace

WindowSize parse_window_size(const std::string& spec) {
    const std::size_t x = spec.find('x');
    const int width = x == std::string::npos ? -1 : digits(spec, 0, x);
    const int height = x == std::string::npos ? -1 : digits(spec, x + 1, spec.size());
    if (width < 0 || height < 0) throw Error("cannot read size '" + spec + "': write WIDTHxHEIGHT, e.g. 1600x960");
    return {width, height};
}

}  // namespace attnscope::cli
