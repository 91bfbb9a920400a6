#pragma once
// When the window draws. An idle app draws only on input and while background jobs run; a panel
// that changes with time alone (a playing Stepper) asks here for a frame within `seconds`.

namespace attnscope::gui {

void redraw_within(double seconds);
// Seconds until the earliest frame asked for since the last call (infinity: none); clears the asks.
double take_redraw_deadline();

}  // namespace attnscope::gui
