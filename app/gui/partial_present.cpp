// The GLX side of drawing only what changed (gui/damage.hpp), on its own: GLX's headers bring Xlib's
// macros (None, Bool, Status).
#include <epoxy/glx.h>

#include <cstring>

#include "gui/damage.hpp"

namespace attnscope::gui {

bool can_present_part() {
    const char* renderer = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
    if (!renderer || (!std::strstr(renderer, "llvmpipe") && !std::strstr(renderer, "softpipe"))) return false;
    Display* display = glXGetCurrentDisplay();  // null without a GLX context (e.g. EGL)
    return display && glXGetCurrentDrawable() &&
           epoxy_has_glx_extension(display, DefaultScreen(display), "GLX_MESA_copy_sub_buffer");
}

void present_part(const PixelBox& box, int framebuffer_height) {
    if (box.empty()) return;
    glXCopySubBufferMESA(glXGetCurrentDisplay(), glXGetCurrentDrawable(), box.x0, framebuffer_height - box.y1,
                         box.x1 - box.x0, box.y1 - box.y0);
}

}  // namespace attnscope::gui
