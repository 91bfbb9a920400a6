// Tests app/gui/widgets/plot.cpp: tick positions and labels (the drawing itself is checked by screenshots).
#include <catch2/catch.hpp>

#include "gui/widgets/plot.hpp"

using attnscope::gui::AxisScale;
using attnscope::gui::format_tick;
using attnscope::gui::nice_ticks;

namespace {

void require_ticks(const std::vector<double>& got, const std::vector<double>& want) {
    std::string g;
    for (double v : got) g += format_tick(v) + " ";
    INFO("got " << g);
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < want.size(); ++i) REQUIRE(got[i] == Approx(want[i]).margin(1e-12));
}

}  // namespace

TEST_CASE("linear ticks are multiples of 1, 2 or 5 x 10^k inside the range", "[plot]") {
    require_ticks(nice_ticks(0.0, 1.0, AxisScale::Linear, 6), {0.0, 0.2, 0.4, 0.6, 0.8, 1.0});
    require_ticks(nice_ticks(0.6, 14.4, AxisScale::Linear, 4), {5.0, 10.0});
    require_ticks(nice_ticks(-0.83, 1.0, AxisScale::Linear, 5), {-0.5, 0.0, 0.5, 1.0});
}

TEST_CASE("a zero tick is exactly zero", "[plot]") {
    for (double v : nice_ticks(-0.3, 0.7, AxisScale::Linear, 11))
        if (std::abs(v) < 1e-9) REQUIRE(v == 0.0);
}

TEST_CASE("log ticks: 1, 2, 5 per decade while they fit, else decades", "[plot]") {
    require_ticks(nice_ticks(0.008, 1.3, AxisScale::Log10, 10), {0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0});
    require_ticks(nice_ticks(1e-7, 2.0, AxisScale::Log10, 10), {1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1.0});
    require_ticks(nice_ticks(1e-16, 1.0, AxisScale::Log10, 6), {1e-15, 1e-12, 1e-9, 1e-6, 1e-3, 1.0});
}

TEST_CASE("a log axis shorter than a decade gets plain steps", "[plot]") {
    require_ticks(nice_ticks(0.3, 1.25, AxisScale::Log10, 6), {0.4, 0.6, 0.8, 1.0, 1.2});
}

TEST_CASE("tick labels: plain in the middle, superscript powers of ten outside", "[plot]") {
    REQUIRE(format_tick(0.0) == "0");
    REQUIRE(format_tick(0.5) == "0.5");
    REQUIRE(format_tick(2000.0) == "2000");
    REQUIRE(format_tick(1e-4) == "10⁻⁴");
    REQUIRE(format_tick(2e-5) == "2·10⁻⁵");
    REQUIRE(format_tick(1e6) == "10⁶");
    REQUIRE(format_tick(-5e7) == "-5·10⁷");
}

TEST_CASE("log2 ticks: powers of two, every k-th power when they do not all fit", "[plot]") {
    require_ticks(nice_ticks(200.0, 5000.0, AxisScale::Log2, 10), {256, 512, 1024, 2048, 4096});
    // 2^8 .. 2^20 is 13 powers: with room for 7, every second one, on even exponents.
    require_ticks(nice_ticks(256.0, 1048576.0, AxisScale::Log2, 7),
                  {256, 1024, 4096, 16384, 65536, 262144, 1048576});
    // Less than two powers of two inside: the log10 ticks instead.
    require_ticks(nice_ticks(1.1, 1.9, AxisScale::Log2, 5), nice_ticks(1.1, 1.9, AxisScale::Log10, 5));
}

TEST_CASE("log2 tick labels: plain up to 65536, then 2 to a superscript power", "[plot]") {
    REQUIRE(format_tick(65536.0, AxisScale::Log2) == "65536");
    REQUIRE(format_tick(131072.0, AxisScale::Log2) == "2¹⁷");
    REQUIRE(format_tick(1048576.0, AxisScale::Log2) == "2²⁰");
    REQUIRE(format_tick(1048576.0, AxisScale::Log10) == format_tick(1048576.0));  // only log2 axes change
}
