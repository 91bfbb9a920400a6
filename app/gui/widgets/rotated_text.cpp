#include "gui/widgets/rotated_text.hpp"

namespace attnscope::gui {

void rotate_to_vertical(ImDrawList* dl, int first_vertex, ImVec2 pivot) {
    for (int i = first_vertex; i < dl->VtxBuffer.Size; ++i) {
        ImVec2& p = dl->VtxBuffer[i].pos;
        const ImVec2 d(p.x - pivot.x, p.y - pivot.y);
        p = ImVec2(pivot.x + d.y, pivot.y - d.x);
    }
}

void add_vertical_text(ImDrawList* dl, float x, float top, ImU32 color, const std::string& s) {
    const float length = ImGui::CalcTextSize(s.c_str()).x;
    const ImVec2 stage = dl->GetClipRectMin(), pivot(x, top + length);
    const int first = dl->VtxBuffer.Size;
    dl->AddText(stage, color, s.c_str());
    // Laid out at the clip rect's corner first: ImGui drops glyphs outside the clip rect before we
    // get to turn them (a label near the right edge), then moved and turned onto the pivot.
    for (int i = first; i < dl->VtxBuffer.Size; ++i) {
        ImVec2& p = dl->VtxBuffer[i].pos;
        const ImVec2 d(p.x - stage.x, p.y - stage.y);
        p = ImVec2(pivot.x + d.y, pivot.y - d.x);
    }
}

}  // namespace attnscope::gui
