// Tests app/gui/colormap.cpp: the stops documented there, perceptual order, a light centre.
#include <catch2/catch.hpp>

#include "gui/colormap.hpp"
#include "gui/widgets/tones.hpp"

using attnscope::gui::Colormap;
using attnscope::gui::colormap_color;
using attnscope::gui::colormap_table;
using attnscope::gui::Rgb;

namespace {

// Relative luminance (Rec. 709 weights) on the sRGB values: enough to order colours by lightness.
double luminance(Rgb c) { return 0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b; }

void require_rgb(Rgb c, int r, int g, int b) {
    INFO("got (" << int(c.r) << "," << int(c.g) << "," << int(c.b) << "), want (" << r << "," << g << "," << b << ")");
    REQUIRE((c.r == r && c.g == g && c.b == b));
}

}  // namespace

TEST_CASE("viridis ends and middle are matplotlib's stops", "[colormap]") {
    require_rgb(colormap_color(Colormap::Viridis, 0.0), 68, 1, 84);
    require_rgb(colormap_color(Colormap::Viridis, 0.5), 33, 144, 141);
    require_rgb(colormap_color(Colormap::Viridis, 1.0), 253, 231, 37);
}

TEST_CASE("diverging ends are RdBu's darkest blue and red, its centre near-white", "[colormap]") {
    require_rgb(colormap_color(Colormap::Diverging, 0.0), 5, 48, 97);
    require_rgb(colormap_color(Colormap::Diverging, 0.5), 247, 247, 247);
    require_rgb(colormap_color(Colormap::Diverging, 1.0), 103, 0, 31);
}

TEST_CASE("values outside [0, 1] and NaN are clamped, never read out of bounds", "[colormap]") {
    for (Colormap map : {Colormap::Viridis, Colormap::Diverging}) {
        const Rgb lo = colormap_color(map, 0.0), hi = colormap_color(map, 1.0);
        require_rgb(colormap_color(map, -3.0), lo.r, lo.g, lo.b);
        require_rgb(colormap_color(map, 7.0), hi.r, hi.g, hi.b);
        require_rgb(colormap_color(map, std::nan("")), lo.r, lo.g, lo.b);
    }
}

TEST_CASE("viridis gets lighter all the way from 0 to 1", "[colormap]") {
    const auto table = colormap_table(Colormap::Viridis);
    // Rounding each channel to a byte can wobble the luminance by under 0.5 between neighbours.
    for (size_t i = 1; i < table.size(); ++i) {
        INFO("entry " << i);
        REQUIRE(luminance(table[i]) >= luminance(table[i - 1]) - 0.5);
    }
    for (int i = 1; i <= 16; ++i) {
        INFO("t = " << i / 16.0);
        REQUIRE(luminance(colormap_color(Colormap::Viridis, i / 16.0)) >
                luminance(colormap_color(Colormap::Viridis, (i - 1) / 16.0)));
    }
}

TEST_CASE("diverging is lightest at its centre and darkens towards both ends", "[colormap]") {
    const auto table = colormap_table(Colormap::Diverging);
    const double centre = luminance(colormap_color(Colormap::Diverging, 0.5));
    REQUIRE(centre > 240.0);
    for (const Rgb& c : table) REQUIRE(luminance(c) <= centre + 1e-9);
    for (int i = 1; i <= 8; ++i) {
        const double below = 0.5 - i / 16.0, above = 0.5 + i / 16.0;
        INFO("t = " << below << " and " << above);
        REQUIRE(luminance(colormap_color(Colormap::Diverging, below)) <
                luminance(colormap_color(Colormap::Diverging, below + 1 / 16.0)));
        REQUIRE(luminance(colormap_color(Colormap::Diverging, above)) <
                luminance(colormap_color(Colormap::Diverging, above - 1 / 16.0)));
    }
}

TEST_CASE("the masked grey is in neither colormap", "[colormap]") {
    using attnscope::gui::kMaskedColor;
    require_rgb(kMaskedColor, 112, 112, 112);
    for (Colormap map : {Colormap::Viridis, Colormap::Diverging})
        for (const Rgb& c : colormap_table(map)) {
            const int d = std::abs(c.r - kMaskedColor.r) + std::abs(c.g - kMaskedColor.g) + std::abs(c.b - kMaskedColor.b);
            REQUIRE(d > 30);
        }
}

TEST_CASE("the table samples the colormap evenly", "[colormap]") {
    for (Colormap map : {Colormap::Viridis, Colormap::Diverging}) {
        const auto table = colormap_table(map);
        REQUIRE(table.size() == attnscope::gui::kColormapSize);
        for (int i : {0, 51, 128, 200, 255}) {
            const Rgb want = colormap_color(map, i / 255.0);
            require_rgb(table[static_cast<size_t>(i)], want.r, want.g, want.b);
        }
    }
}

TEST_CASE("text tones are readable on both themes' backgrounds (WCAG 4.5:1), and ImGui's faint light grey is replaced",
          "[tones]") {
    using attnscope::gui::contrast_ratio;
    using attnscope::gui::Tone;
    // The formula itself: black on white is 21:1, a colour on itself 1:1.
    REQUIRE(contrast_ratio(ImVec4(0, 0, 0, 1), ImVec4(1, 1, 1, 1)) == Approx(21.0));
    REQUIRE(contrast_ratio(ImVec4(0.3f, 0.6f, 0.2f, 1), ImVec4(0.3f, 0.6f, 0.2f, 1)) == Approx(1.0));
    for (bool light : {false, true}) {
        const ImVec4 bg = attnscope::gui::window_background(light);
        for (Tone t : {Tone::Accent, Tone::Error, Tone::Good}) {
            INFO((light ? "light" : "dark") << " theme, tone " << static_cast<int>(t));
            CHECK(contrast_ratio(attnscope::gui::tone(t, light), bg) >= 4.5);
        }
        CHECK(contrast_ratio(attnscope::gui::disabled_text(light), bg) >= 4.5);
    }
    // The dark theme's orange on the light background is what the light shade replaces: too faint.
    CHECK(contrast_ratio(attnscope::gui::tone(Tone::Accent, false), attnscope::gui::window_background(true)) < 3.0);
}
