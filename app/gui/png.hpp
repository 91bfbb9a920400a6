#pragma once
// PNG encoding in one place: screenshots (attnscope render) and the Export panel share it.
#include <string>
#include <vector>

namespace attnscope::gui {

// `rgba` holds h rows of w RGBA pixels, top row first. Throws attnscope::Error when encoding fails.
std::string encode_png(const std::vector<unsigned char>& rgba, int w, int h);

}  // namespace attnscope::gui
