#include "gui/widgets/texts_drawn.hpp"

#include <imgui.h>

namespace attnscope::gui {
namespace {

template <class T>
struct Noted {
    int frame = -1;  // ImGui's frame count when noted
    std::vector<T> list;

    void add(T item) {
        if (frame != ImGui::GetFrameCount()) *this = {ImGui::GetFrameCount(), {}};
        list.push_back(std::move(item));
    }
    std::vector<T> this_frame() const { return frame == ImGui::GetFrameCount() ? list : std::vector<T>{}; }
};
Noted<DrawnText> g_texts;
Noted<DrawnTarget> g_targets;

}  // namespace

void note_text(const char* panel, std::string text) { g_texts.add({panel, std::move(text)}); }

std::vector<DrawnText> texts_drawn_this_frame() { return g_texts.this_frame(); }

void note_target(std::string label) {
    const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    g_targets.add({std::move(label), a.x, a.y, b.x, b.y});
}

std::vector<DrawnTarget> targets_drawn_this_frame() { return g_targets.this_frame(); }

}  // namespace attnscope::gui
