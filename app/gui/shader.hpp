#pragma once
// Builds GL programs from the shaders embedded from shaders/ at build time.
#include <epoxy/gl.h>

#include <string_view>

namespace attnscope::gui {

// Compiles and links the two named shader files (e.g. "fullscreen.vert", "colormap.frag").
// Throws attnscope::Error naming the file, the line and the driver's message.
GLuint build_program(std::string_view vertex_file, std::string_view fragment_file);

}  // namespace attnscope::gui
