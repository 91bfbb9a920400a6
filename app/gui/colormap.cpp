#include "gui/colormap.hpp"

#include <algorithm>
#include <cmath>
#include <span>

namespace attnscope::gui {
namespace {

// Evenly spaced stops. Viridis from matplotlib's table (van der Walt and Smith);
// the diverging map is ColorBrewer's RdBu reversed (blue negative, red positive).
constexpr Rgb kViridis[] = {{68, 1, 84},    {71, 44, 122},  {59, 81, 139},  {44, 113, 142}, {33, 144, 141},
                            {39, 173, 129}, {92, 200, 99},  {170, 220, 50}, {253, 231, 37}};
constexpr Rgb kDiverging[] = {{5, 48, 97},    {33, 102, 172}, {67, 147, 195}, {146, 197, 222}, {247, 247, 247},
                              {244, 165, 130}, {214, 96, 77},  {178, 24, 43},  {103, 0, 31}};

Rgb interpolate(std::span<const Rgb> stops, double t) {
    t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0);
    const double x = t * static_cast<double>(stops.size() - 1);
    const size_t i = std::min(static_cast<size_t>(x), stops.size() - 2);
    const double f = x - static_cast<double>(i);
    auto mix = [f](std::uint8_t a, std::uint8_t b) {
        return static_cast<std::uint8_t>(std::lround(a + (b - a) * f));
    };
    return {mix(stops[i].r, stops[i + 1].r), mix(stops[i].g, stops[i + 1].g), mix(stops[i].b, stops[i + 1].b)};
}

}  // namespace

Rgb colormap_color(Colormap map, double t) {
    return map == Colormap::Viridis ? interpolate(kViridis, t) : interpolate(kDiverging, t);
}

std::array<Rgb, kColormapSize> colormap_table(Colormap map) {
    std::array<Rgb, kColormapSize> table{};
    for (int i = 0; i < kColormapSize; ++i) table[i] = colormap_color(map, i / double(kColormapSize - 1));
    return table;
}

}  // namespace attnscope::gui
