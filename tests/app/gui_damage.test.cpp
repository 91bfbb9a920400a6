// Tests app/gui/damage.cpp and content_hash.hpp: scissors as ImGui's OpenGL backend computes them
// (worked by hand), clip rectangles that come back to exactly the same pixels, the pixels a draw list
// covers, and which frames redraw what. tests/app/gui_screenshots.py (partial-redraw-matches-full)
// checks the whole of it on pixels: frames drawn in part equal frames drawn whole.
#include <catch2/catch.hpp>

#include <ostream>
#include <vector>

#include "gui/content_hash.hpp"
#include "gui/damage.hpp"

using attnscope::gui::ContentHash;
using attnscope::gui::Damage;
using attnscope::gui::DrawnList;
using attnscope::gui::PixelBox;

namespace attnscope::gui {
std::ostream& operator<<(std::ostream& out, const PixelBox& b) {  // for Catch's messages (found by ADL)
    return out << "{" << b.x0 << ", " << b.y0 << ", " << b.x1 << ", " << b.y1 << "}";
}
}  // namespace attnscope::gui

namespace {

ImDrawData frame_data(float width, float height, float scale = 1.0f) {
    ImDrawData data;
    data.Valid = true;
    data.DisplayPos = ImVec2(0, 0);
    data.DisplaySize = ImVec2(width, height);
    data.FramebufferScale = ImVec2(scale, scale);
    return data;
}

// A draw list holding one filled rectangle (two triangles) under `clip`, built by hand: no ImGui context.
void add_rect(ImDrawList& list, ImVec2 a, ImVec2 b, ImVec4 clip) {
    ImDrawCmd cmd;
    cmd.ClipRect = clip;
    cmd.VtxOffset = 0;
    cmd.IdxOffset = static_cast<unsigned>(list.IdxBuffer.Size);
    cmd.ElemCount = 6;
    const auto base = static_cast<ImDrawIdx>(list.VtxBuffer.Size);
    for (ImVec2 p : {a, ImVec2(b.x, a.y), b, ImVec2(a.x, b.y)}) list.VtxBuffer.push_back(ImDrawVert{p, ImVec2(0, 0), 0xFFFFFFFF});
    for (int k : {0, 1, 2, 0, 2, 3}) list.IdxBuffer.push_back(static_cast<ImDrawIdx>(base + k));
    list.CmdBuffer.push_back(cmd);
}

void require_box(const PixelBox& got, PixelBox want) {
    INFO("got " << got << ", want " << want);
    REQUIRE(got == want);
}

constexpr PixelBox kScreen{0, 0, 1600, 960};

}  // namespace

TEST_CASE("scissor_of truncates as ImGui's OpenGL backend does, rows counted from the top", "[damage]") {
    const ImDrawData data = frame_data(1600, 960);
    // x = (int)10.5 = 10, w = (int)(100.75 - 10.5) = 90; GL's y = (int)(960 - 50.5) = 909, h = (int)(50.5 - 20.25) = 30:
    // GL rows 909..938 from the bottom are rows 960 - 939 = 21 .. 50 from the top.
    require_box(attnscope::gui::scissor_of(ImVec4(10.5f, 20.25f, 100.75f, 50.5f), data), {10, 21, 100, 51});
    require_box(attnscope::gui::scissor_of(ImVec4(0, 0, 1600, 960), data), kScreen);
    REQUIRE(attnscope::gui::scissor_of(ImVec4(50, 50, 50, 80), data).empty());  // no width: skipped by the backend
    // At a framebuffer scale of 2 the corners double before truncation: x = 21, w = (int)(201.5 - 21) = 180,
    // y = (int)(960 - 101) = 859, h = (int)(101 - 40.5) = 60: rows 960 - 919 = 41 .. 100 from the top.
    const ImDrawData hidpi = frame_data(800, 480, 2.0f);
    require_box(attnscope::gui::scissor_of(ImVec4(10.5f, 20.25f, 100.75f, 50.5f), hidpi), {21, 41, 201, 101});
}

TEST_CASE("clip_of gives back exactly the box, at any scale", "[damage]") {
    for (float scale : {1.0f, 1.25f, 1.5f, 2.0f, 3.0f}) {
        const ImDrawData data = frame_data(1600 / scale, 960 / scale, scale);
        const int height = static_cast<int>(data.DisplaySize.y * scale);
        for (int x0 : {0, 1, 7, 333})
            for (int y0 : {0, 1, 9, 500})
                for (int size : {1, 2, 17, 300}) {
                    const PixelBox box{x0, y0, x0 + size, std::min(y0 + size, height)};
                    INFO("scale " << scale);
                    require_box(attnscope::gui::scissor_of(attnscope::gui::clip_of(box, data), data), box);
                }
    }
    REQUIRE(attnscope::gui::scissor_of(attnscope::gui::clip_of(PixelBox{}, frame_data(100, 100)), frame_data(100, 100)).empty());
}

TEST_CASE("a draw list covers its triangles' pixels, a pixel wider, within its clip rectangle", "[damage]") {
    ImDrawList list(nullptr);
    add_rect(list, ImVec2(10.25f, 20.5f), ImVec2(30.75f, 40.0f), ImVec4(0, 0, 1600, 960));
    ImDrawList* lists[] = {&list};
    ImDrawData data = frame_data(1600, 960);
    data.CmdLists = lists;
    data.CmdListsCount = 1;
    std::vector<DrawnList> drawn = attnscope::gui::drawn_lists(data);
    REQUIRE(drawn.size() == 1);
    REQUIRE(drawn[0].id == &list);
    require_box(drawn[0].box, {9, 19, 32, 41});  // floor(10.25) - 1, floor(20.5) - 1, ceil(30.75) + 1, ceil(40) + 1
    // The clip rectangle bounds it too.
    list.CmdBuffer[0].ClipRect = ImVec4(15, 25, 1600, 960);
    require_box(attnscope::gui::drawn_lists(data)[0].box, {15, 25, 32, 41});
    // Moving a vertex changes the hash; putting it back restores it.
    const std::uint64_t before = attnscope::gui::drawn_lists(data)[0].hash;
    list.VtxBuffer[2].pos.y += 1.0f;
    REQUIRE(attnscope::gui::drawn_lists(data)[0].hash != before);
    list.VtxBuffer[2].pos.y -= 1.0f;
    REQUIRE(attnscope::gui::drawn_lists(data)[0].hash == before);
}

TEST_CASE("Damage redraws what changed, and everything when it cannot tell", "[damage]") {
    const DrawnList a{reinterpret_cast<const void*>(1), 11, {0, 0, 100, 100}};
    const DrawnList b{reinterpret_cast<const void*>(2), 22, {200, 200, 300, 300}};
    Damage damage;
    require_box(damage.region({a, b}, true, false, kScreen), kScreen);  // the first frame
    REQUIRE(damage.region({a, b}, true, false, kScreen).empty());      // nothing changed
    DrawnList b2 = b;
    b2.hash = 23;
    require_box(damage.region({a, b2}, true, false, kScreen), b.box);  // b's content changed
    DrawnList b3 = b2;
    b3.box = {250, 250, 400, 320};  // b moved: where it was and where it is
    require_box(damage.region({a, b3}, true, false, kScreen), {200, 200, 400, 320});
    require_box(damage.region({a}, true, false, kScreen), b3.box);  // b closed
    require_box(damage.region({a, b3}, true, false, kScreen), b3.box);  // b opened again
    require_box(damage.region({b3, a}, true, false, kScreen), kScreen);  // a raised above b
    REQUIRE(damage.region({b3, a}, true, false, kScreen).empty());
    require_box(damage.region({b3, a}, false, false, kScreen), kScreen);  // the back buffer was not kept
    require_box(damage.region({b3, a}, true, true, kScreen), kScreen);   // asked for (a theme change)
    attnscope::gui::note_texture_changed();
    require_box(damage.region({b3, a}, true, false, kScreen), kScreen);  // a texture was rewritten
    REQUIRE(damage.region({b3, a}, true, false, kScreen).empty());       // once
    require_box(damage.region({b3, a}, true, false, {0, 0, 1280, 720}), PixelBox{0, 0, 1280, 720});  // resized
    // One box holds all that changed (two far apart give the box around both), cut to the screen.
    DrawnList b4 = b3;
    b4.box = {1200, 600, 1500, 800};
    require_box(damage.region({b4, a}, true, false, {0, 0, 1280, 720}), PixelBox{250, 250, 1280, 720});
}

TEST_CASE("restrict_to clips every command to the region, dropping those outside it", "[damage]") {
    ImDrawList list(nullptr);
    add_rect(list, ImVec2(0, 0), ImVec2(50, 50), ImVec4(0, 0, 1600, 960));
    add_rect(list, ImVec2(500, 500), ImVec2(550, 550), ImVec4(480, 480, 600, 600));
    ImDrawList* lists[] = {&list};
    ImDrawData data = frame_data(1600, 960);
    data.CmdLists = lists;
    data.CmdListsCount = 1;
    attnscope::gui::restrict_to(data, {10, 10, 100, 100});
    require_box(attnscope::gui::scissor_of(list.CmdBuffer[0].ClipRect, data), {10, 10, 100, 100});
    REQUIRE(attnscope::gui::scissor_of(list.CmdBuffer[1].ClipRect, data).empty());
}

TEST_CASE("ContentHash keeps what came first, however much follows", "[damage]") {
    // The hash once folded each small addition into one word through a map that was not one to one:
    // a window's vertices, followed by a few hundred command fields, no longer changed it.
    std::vector<float> vertices(5000, 1.0f);
    auto hash = [&vertices] {
        ContentHash h;
        h.add(vertices.data(), vertices.size() * sizeof(float));
        for (int i = 0; i < 300; ++i) h.add_value(i);
        return h.value();
    };
    const std::uint64_t before = hash();
    vertices[4321] = 1.5f;
    REQUIRE(hash() != before);
    vertices[4321] = 1.0f;
    REQUIRE(hash() == before);
    // Order and length count.
    ContentHash ab, ba, a0;
    ab.add_value(1), ab.add_value(2);
    ba.add_value(2), ba.add_value(1);
    a0.add_value(1), a0.add_value(0);
    ContentHash a;
    a.add_value(1);
    REQUIRE(ab.value() != ba.value());
    REQUIRE(a0.value() != a.value());
}
