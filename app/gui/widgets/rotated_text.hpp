#pragma once
// Vertical text for axis labels: ImGui 1.86 draws text horizontally only, so the
// vertices of text just drawn are turned in place.
#include <imgui.h>

#include <string>

namespace attnscope::gui {

// Rotates the vertices added to `dl` since `first_vertex` by -90 degrees around `pivot`:
// record dl->VtxBuffer.Size, AddText, then call this.
void rotate_to_vertical(ImDrawList* dl, int first_vertex, ImVec2 pivot);
// Text reading bottom to top whose last character ends at `top`, left edge at `x`.
void add_vertical_text(ImDrawList* dl, float x, float top, ImU32 color, const std::string& s);

}  // namespace attnscope::gui
