#pragma once
// Lines of controls that wrap in a narrow window instead of running off its right edge.
#include <imgui.h>

namespace attnscope::gui {

// Continues the current line when an item `width` pixels wide still fits in the window's content
// region after the last item; otherwise the next item starts a new line.
void same_line_if_fits(float width);
// The width of a framed item of `item_width` with its label (text after "##" hidden), as ImGui lays it out.
float labeled_width(float item_width, const char* label);
// The width of a button with this text.
float button_width(const char* text);

}  // namespace attnscope::gui
