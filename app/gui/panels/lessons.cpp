// Lessons panel: guided lessons from assets/lessons/ that drive the other panels.
#include "gui/panels/lessons.hpp"

#include <imgui.h>

namespace attnscope::gui {

Edits draw_lessons_panel(const Trace&, const Selection&, LessonsPanelState&) {
    ImGui::TextDisabled("(not built yet)");
    return {};
}

}  // namespace attnscope::gui
