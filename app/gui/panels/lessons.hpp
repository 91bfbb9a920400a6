#pragma once
// Lessons panel: guided lessons from assets/lessons/ that drive the other panels.
#include "attnscope/trace.hpp"
#include "gui/edits.hpp"

namespace attnscope::gui {

struct LessonsPanelState {};
Edits draw_lessons_panel(const Trace& trace, const Selection& sel, LessonsPanelState& state);

}  // namespace attnscope::gui
