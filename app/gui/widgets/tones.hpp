#pragma once
// The few text colours the panels use beyond ImGui's own, in one place, each with a dark-theme and a
// light-theme shade chosen for contrast (at least 4.5:1 against the theme's window background).
#include <imgui.h>

namespace attnscope::gui {

enum class Tone {
    Accent,  // live numbers, the step banner, notes that a variant is active
    Error,   // what went wrong and how to fix it
    Good,    // done, saved
};

// The shade for the current theme (set_light_tones).
ImVec4 tone(Tone t);
// The shade for a theme, and the window background it is drawn on.
ImVec4 tone(Tone t, bool light);
ImVec4 window_background(bool light);
// Secondary ("disabled") text: ImGui's dark-theme grey, and a darker grey than ImGui's on light.
ImVec4 disabled_text(bool light);
// apply_theme calls this when the theme changes.
void set_light_tones(bool light);
// The WCAG contrast ratio of two opaque colours (1 .. 21).
double contrast_ratio(ImVec4 a, ImVec4 b);

}  // namespace attnscope::gui
