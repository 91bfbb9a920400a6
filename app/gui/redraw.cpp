#include "gui/redraw.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <optional>

namespace attnscope::gui {
namespace {

using Clock = std::chrono::steady_clock;
std::optional<Clock::time_point> g_redraw_at;  // the earliest frame asked for (the frame loop's thread only)

}  // namespace

void redraw_within(double seconds) {
    const Clock::time_point at =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(std::max(0.0, seconds)));
    if (!g_redraw_at || at < *g_redraw_at) g_redraw_at = at;
}

double take_redraw_deadline() {
    if (!g_redraw_at) return std::numeric_limits<double>::infinity();
    const double seconds = std::chrono::duration<double>(*g_redraw_at - Clock::now()).count();
    g_redraw_at.reset();
    return std::max(0.0, seconds);
}

}  // namespace attnscope::gui
