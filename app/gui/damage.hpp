#pragma once
// Drawing only what changed. A software rasterizer (Mesa's llvmpipe: CI, virtual machines, a
// machine without a GPU driver) spends most of a frame shading pixels, and most frames change one
// window (the text being typed, a hovered cell). There, each frame compares every ImGui draw list
// with the last frame's (its vertices, indices, commands and texture content), redraws into the back
// buffer, which is never swapped and so keeps the last frame, only the pixels that changed, and puts
// those on screen (GLX_MESA_copy_sub_buffer). With a GPU, or without that extension, every frame is
// drawn whole and swapped, as before. The pixels come out the same as a full redraw's: every command
// is clipped to exactly the pixels ImGui's OpenGL backend would have scissored it to, intersected
// with the changed box.
#include <imgui.h>

#include <cstdint>
#include <vector>

namespace attnscope::gui {

// Framebuffer pixels, top row 0: columns [x0, x1), rows [y0, y1).
struct PixelBox {
    int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    bool empty() const { return x1 <= x0 || y1 <= y0; }
    bool operator==(const PixelBox&) const = default;
};
PixelBox unite(const PixelBox& a, const PixelBox& b);      // the smallest box holding both
PixelBox intersect(const PixelBox& a, const PixelBox& b);

// The pixels ImGui's OpenGL backend (1.86) scissors a command with clip rectangle `clip` to (it
// truncates the rectangle's corners in framebuffer units).
PixelBox scissor_of(const ImVec4& clip, const ImDrawData& data);
// A clip rectangle that the backend scissors to exactly `box` (a box inside the framebuffer).
ImVec4 clip_of(const PixelBox& box, const ImDrawData& data);

// One draw list of a frame: ImGui keeps a window's list from frame to frame, so its address names it.
struct DrawnList {
    const void* id = nullptr;
    std::uint64_t hash = 0;  // its vertices, indices and commands
    PixelBox box;            // the pixels its commands may touch
};
std::vector<DrawnList> drawn_lists(const ImDrawData& data);

// A texture drawn from (a heatmap's colours, the font atlas) was rewritten: the next frame is drawn whole.
void note_texture_changed();

class Damage {
public:
    // The pixels to draw this frame: what changed since the last frame, or all of `screen` when the
    // back buffer does not hold the last frame, when `everything` is set, when a texture changed
    // (note_texture_changed), when the screen's size changed or when windows changed their order.
    PixelBox region(const std::vector<DrawnList>& lists, bool back_buffer_holds_last_frame, bool everything,
                    const PixelBox& screen);

private:
    std::vector<DrawnList> previous_;
    PixelBox screen_;
};

// Clips every command of the frame to `region`: commands outside it get an empty clip rectangle
// (the backend skips them; callbacks see it empty).
void restrict_to(ImDrawData& data, const PixelBox& region);

// Whether frames can be drawn in part and put on screen in part (gui/partial_present.cpp): a software
// rasterizer with GLX_MESA_copy_sub_buffer, for the current context.
bool can_present_part();
// Copies `box` of the back buffer to the window (framebuffer rows counted from the top).
void present_part(const PixelBox& box, int framebuffer_height);

}  // namespace attnscope::gui
