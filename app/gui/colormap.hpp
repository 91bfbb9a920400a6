#pragma once
// Colormaps: perceptual sequential (viridis) for weights, diverging (red-blue) for
// signed values centred on zero. The CPU table here is the one truth: the GPU
// lookup texture, legends and PNG export are all built from it.
#include <array>
#include <cstdint>

namespace attnscope::gui {

enum class Colormap { Viridis, Diverging };

struct Rgb {
    std::uint8_t r, g, b;
};

inline constexpr Rgb kMaskedColor{112, 112, 112};  // neutral grey: in neither colormap
inline constexpr int kColormapSize = 256;

Rgb colormap_color(Colormap map, double t);  // t in [0, 1], clamped
std::array<Rgb, kColormapSize> colormap_table(Colormap map);

}  // namespace attnscope::gui
