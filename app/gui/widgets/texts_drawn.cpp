#include "gui/widgets/texts_drawn.hpp"

#include <imgui.h>

namespace attnscope::gui {
namespace {

struct Texts {
    int frame = -1;  // ImGui's frame count when noted
    std::vector<DrawnText> list;
};
Texts g_texts;

}  // namespace

void note_text(const char* panel, std::string text) {
    if (g_texts.frame != ImGui::GetFrameCount()) g_texts = {ImGui::GetFrameCount(), {}};
    g_texts.list.push_back({panel, std::move(text)});
}

std::vector<DrawnText> texts_drawn_this_frame() {
    return g_texts.frame == ImGui::GetFrameCount() ? g_texts.list : std::vector<DrawnText>{};
}

}  // namespace attnscope::gui
