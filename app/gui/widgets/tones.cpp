#include "gui/widgets/tones.hpp"

#include <algorithm>
#include <cmath>

namespace attnscope::gui {
namespace {

bool g_light = false;

double linear(float c) { return c <= 0.04045f ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4); }
double luminance(ImVec4 c) { return 0.2126 * linear(c.x) + 0.7152 * linear(c.y) + 0.0722 * linear(c.z); }

}  // namespace

ImVec4 tone(Tone t, bool light) {
    switch (t) {
        case Tone::Accent: return light ? ImVec4(0.62f, 0.26f, 0.0f, 1.0f) : ImVec4(1.0f, 0.62f, 0.25f, 1.0f);
        case Tone::Error: return light ? ImVec4(0.74f, 0.05f, 0.05f, 1.0f) : ImVec4(1.0f, 0.42f, 0.36f, 1.0f);
        case Tone::Good: return light ? ImVec4(0.05f, 0.45f, 0.12f, 1.0f) : ImVec4(0.40f, 0.85f, 0.45f, 1.0f);
    }
    return ImVec4(1, 1, 1, 1);
}

ImVec4 tone(Tone t) { return tone(t, g_light); }

// ImGui's StyleColorsDark / StyleColorsLight window backgrounds.
ImVec4 window_background(bool light) { return light ? ImVec4(0.94f, 0.94f, 0.94f, 1.0f) : ImVec4(0.06f, 0.06f, 0.06f, 1.0f); }

ImVec4 disabled_text(bool light) { return light ? ImVec4(0.36f, 0.36f, 0.36f, 1.0f) : ImVec4(0.50f, 0.50f, 0.50f, 1.0f); }

void set_light_tones(bool light) { g_light = light; }

double contrast_ratio(ImVec4 a, ImVec4 b) {
    const double la = luminance(a), lb = luminance(b);
    return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

}  // namespace attnscope::gui
