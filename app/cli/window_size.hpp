#pragma once
// The --size WxH syntax of `attnscope render` (a window size in pixels).
#include <string>

namespace attnscope::cli {

struct WindowSize {
    int width = 0;
    int height = 0;
};

// "1600x960": 1 to 5 decimal digits, 'x', 1 to 5 decimal digits, nothing else. Throws Error otherwise.
WindowSize parse_window_size(const std::string& spec);

}  // namespace attnscope::cli
