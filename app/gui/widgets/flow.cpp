#include "gui/widgets/flow.hpp"

namespace attnscope::gui {

void same_line_if_fits(float width) {
    const ImGuiStyle& style = ImGui::GetStyle();
    const float right_edge = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
    if (ImGui::GetItemRectMax().x + style.ItemSpacing.x + width <= right_edge) ImGui::SameLine();
}

float labeled_width(float item_width, const char* label) {
    const float text = ImGui::CalcTextSize(label, nullptr, true).x;
    return item_width + (text > 0 ? ImGui::GetStyle().ItemInnerSpacing.x + text : 0.0f);
}

float button_width(const char* text) {
    return ImGui::CalcTextSize(text, nullptr, true).x + 2 * ImGui::GetStyle().FramePadding.x;
}

}  // namespace attnscope::gui
