#include "gui/damage.hpp"

#include <algorithm>
#include <cfloat>
#include <climits>
#include <cmath>
#include <unordered_map>

#include "gui/content_hash.hpp"

namespace attnscope::gui {
namespace {

bool g_texture_changed = false;

int framebuffer_height(const ImDrawData& data) {  // as the backend computes it
    return static_cast<int>(data.DisplaySize.y * data.FramebufferScale.y);
}

PixelBox framebuffer(const ImDrawData& data) {
    return {0, 0, static_cast<int>(data.DisplaySize.x * data.FramebufferScale.x), framebuffer_height(data)};
}

// The pixels a command's triangles may touch: its vertices' bounding box, a pixel wider on each side
// (a callback, which draws what it likes within its clip rectangle: all of it).
PixelBox covered(const ImDrawList& list, const ImDrawCmd& cmd, const ImDrawData& data) {
    if (cmd.UserCallback) return {INT_MIN / 2, INT_MIN / 2, INT_MAX / 2, INT_MAX / 2};
    if (cmd.ElemCount == 0) return {};
    float x0 = FLT_MAX, y0 = FLT_MAX, x1 = -FLT_MAX, y1 = -FLT_MAX;
    const ImDrawIdx* index = list.IdxBuffer.Data + cmd.IdxOffset;
    const ImDrawVert* vertex = list.VtxBuffer.Data + cmd.VtxOffset;
    for (unsigned i = 0; i < cmd.ElemCount; ++i) {
        const ImVec2 p = vertex[index[i]].pos;
        x0 = std::min(x0, p.x), y0 = std::min(y0, p.y), x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
    }
    const ImVec2 off = data.DisplayPos, scale = data.FramebufferScale;
    auto pixel = [](float v, float bound) { return static_cast<int>(std::clamp(v, -bound, bound)); };
    constexpr float kBound = 1 << 24;
    return {pixel(std::floor((x0 - off.x) * scale.x), kBound) - 1, pixel(std::floor((y0 - off.y) * scale.y), kBound) - 1,
            pixel(std::ceil((x1 - off.x) * scale.x), kBound) + 1, pixel(std::ceil((y1 - off.y) * scale.y), kBound) + 1};
}

}  // namespace

PixelBox unite(const PixelBox& a, const PixelBox& b) {
    if (a.empty()) return b;
    if (b.empty()) return a;
    return {std::min(a.x0, b.x0), std::min(a.y0, b.y0), std::max(a.x1, b.x1), std::max(a.y1, b.y1)};
}

PixelBox intersect(const PixelBox& a, const PixelBox& b) {
    const PixelBox c{std::max(a.x0, b.x0), std::max(a.y0, b.y0), std::min(a.x1, b.x1), std::min(a.y1, b.y1)};
    return c.empty() ? PixelBox{} : c;
}

PixelBox scissor_of(const ImVec4& clip, const ImDrawData& data) {
    // imgui_impl_opengl3.cpp (1.86), ImGui_ImplOpenGL3_RenderDrawData, statement for statement.
    const ImVec2 off = data.DisplayPos, scale = data.FramebufferScale;
    const ImVec2 clip_min((clip.x - off.x) * scale.x, (clip.y - off.y) * scale.y);
    const ImVec2 clip_max((clip.z - off.x) * scale.x, (clip.w - off.y) * scale.y);
    if (clip_max.x <= clip_min.x || clip_max.y <= clip_min.y) return {};
    const int fb_height = framebuffer_height(data);
    const int x = static_cast<int>(clip_min.x), y = static_cast<int>(fb_height - clip_max.y);  // GL: rows from the bottom
    const int w = static_cast<int>(clip_max.x - clip_min.x), h = static_cast<int>(clip_max.y - clip_min.y);
    const PixelBox box{x, fb_height - (y + h), x + w, fb_height - y};
    return box.empty() ? PixelBox{} : box;
}

ImVec4 clip_of(const PixelBox& box, const ImDrawData& data) {
    if (box.empty()) return ImVec4(0, 0, 0, 0);
    // Quarter-pixel margins so that truncation lands on the box's edges whatever the rounding of the
    // scale: x = (int)(x0 + 1/4), w = (int)(x1 - x0 + 1/4), y = (int)(fb_height - (y1 - 1/4)) = fb_height - y1,
    // h = (int)(y1 - 1/4 - (y0 - 1/2)).
    const ImVec2 off = data.DisplayPos, scale = data.FramebufferScale;
    return ImVec4((box.x0 + 0.25f) / scale.x + off.x, (box.y0 - 0.5f) / scale.y + off.y,
                  (box.x1 + 0.5f) / scale.x + off.x, (box.y1 - 0.25f) / scale.y + off.y);
}

std::vector<DrawnList> drawn_lists(const ImDrawData& data) {
    const PixelBox screen = framebuffer(data);
    std::vector<DrawnList> out;
    out.reserve(static_cast<std::size_t>(data.CmdListsCount));
    for (int i = 0; i < data.CmdListsCount; ++i) {
        const ImDrawList& list = *data.CmdLists[i];
        ContentHash h;
        h.add(list.VtxBuffer.Data, sizeof(ImDrawVert) * static_cast<std::size_t>(list.VtxBuffer.Size));
        h.add(list.IdxBuffer.Data, sizeof(ImDrawIdx) * static_cast<std::size_t>(list.IdxBuffer.Size));
        PixelBox box;
        for (const ImDrawCmd& cmd : list.CmdBuffer) {
            for (float v : {cmd.ClipRect.x, cmd.ClipRect.y, cmd.ClipRect.z, cmd.ClipRect.w}) h.add_value(v);
            h.add_value(cmd.TextureId);
            h.add_value(cmd.VtxOffset);
            h.add_value(cmd.IdxOffset);
            h.add_value(cmd.ElemCount);
            h.add_value(cmd.UserCallback);
            h.add_value(cmd.UserCallbackData);
            box = unite(box, intersect(intersect(scissor_of(cmd.ClipRect, data), screen), covered(list, cmd, data)));
        }
        out.push_back({&list, h.value(), box});
    }
    return out;
}

void note_texture_changed() { g_texture_changed = true; }

PixelBox Damage::region(const std::vector<DrawnList>& lists, bool back_buffer_holds_last_frame, bool everything,
                        const PixelBox& screen) {
    everything = everything || g_texture_changed || !back_buffer_holds_last_frame || !(screen == screen_);
    g_texture_changed = false;
    screen_ = screen;
    std::unordered_map<const void*, std::size_t> before;  // id -> index in the last frame
    for (std::size_t i = 0; i < previous_.size(); ++i) before.emplace(previous_[i].id, i);
    std::vector<bool> kept(previous_.size(), false);
    PixelBox changed;
    std::size_t next = 0;  // lists kept from the last frame come in its order, from here on
    for (const DrawnList& list : lists) {
        const auto it = before.find(list.id);
        if (it == before.end()) {
            changed = unite(changed, list.box);  // a window opened
            continue;
        }
        if (it->second < next) everything = true;  // a window raised above another changes what they overlap
        next = it->second + 1;
        kept[it->second] = true;
        const DrawnList& old = previous_[it->second];
        if (old.hash != list.hash || !(old.box == list.box)) changed = unite(changed, unite(old.box, list.box));
    }
    for (std::size_t i = 0; i < previous_.size(); ++i)
        if (!kept[i]) changed = unite(changed, previous_[i].box);  // a window closed
    previous_ = lists;
    return everything ? screen : intersect(changed, screen);
}

void restrict_to(ImDrawData& data, const PixelBox& region) {
    for (int i = 0; i < data.CmdListsCount; ++i)
        for (ImDrawCmd& cmd : data.CmdLists[i]->CmdBuffer)
            cmd.ClipRect = clip_of(intersect(scissor_of(cmd.ClipRect, data), region), data);
}

}  // namespace attnscope::gui
