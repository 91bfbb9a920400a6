#pragma once
// The welcome card the live app shows at first launch: the obvious first steps, each a button
// that opens its workspace. Dismissed once, it stays dismissed (the layout's `welcome` flag, kept
// in imgui.ini); View > Welcome shows it again.
#include "gui/app_state.hpp"

namespace attnscope::gui {

Edits draw_welcome(AppState& app);

}  // namespace attnscope::gui
