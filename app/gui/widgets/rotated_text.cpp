#include "gui/widgets/rotated_text.hpp"

namespace attnscope::gui {

void rotate_to_vertical(ImDrawList* dl, int first_vertex, ImVec2 pivot) {
    for (int i = first_vertex; i < dl->VtxBuffer.Size; ++i) {
        ImVec2& p = dl->VtxBuffer[i].pos;
        const ImVec2 d(p.x - pivot.x, p.y - pivot.y);
        p = ImVec2(pivot.x + d.y, pivot.y - d.x);
    }
}

}  // namespace attnscope::gui
