#pragma once
// A matrix drawn as a texture through the colormap shader, with token labels,
// hover, click, zoom (mouse wheel) and pan (right drag; double right-click resets).
#include <epoxy/gl.h>
#include <imgui.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "attnscope/attention.hpp"
#include "attnscope/matrix.hpp"
#include "gui/colormap.hpp"

namespace attnscope::gui {

struct HeatmapStyle {
    Colormap map = Colormap::Viridis;
    double lo = 0.0, hi = 1.0;                           // the colour scale's ends
    const std::vector<std::string>* row_labels = nullptr;
    const std::vector<std::string>* col_labels = nullptr;
    const MaskMatrix* allowed = nullptr;                 // cells where this is false are drawn as masked
    int highlight_row = -1;                              // outlined, e.g. the selected query
    int column_groups = 0;                               // a separator every this many columns (heads)
    int highlight_cols_begin = -1, highlight_cols_end = -1;  // [begin, end) outlined, e.g. the selected head
    std::vector<std::pair<int, int>> marked;             // (row, col) cells outlined in cyan: the user's edits
    float max_cell = 28.0f;                              // pixels per cell at most
    float max_height = 0.0f;                             // 0: as tall as the width allows
};

struct HeatmapHit {
    int row = -1, col = -1;  // the hovered cell, or -1
    bool clicked = false;    // left click on that cell
    bool hovered() const { return row >= 0; }
};

// One heatmap's GL textures and view. Keep it in the panel's state, one per drawn matrix;
// it re-colours only when the values or the scale change.
class Heatmap {
public:
    Heatmap() = default;
    Heatmap(const Heatmap&) = delete;
    Heatmap& operator=(const Heatmap&) = delete;
    Heatmap(Heatmap&& other) noexcept { *this = std::move(other); }
    Heatmap& operator=(Heatmap&& other) noexcept;  // takes the other's textures
    ~Heatmap();

    HeatmapHit draw(const char* id, const Matrix& values, const HeatmapStyle& style);
    void reset_view() { zoom_ = 1.0f, center_ = ImVec2(0.5f, 0.5f); }

    struct Frame;  // this frame's geometry (heatmap.cpp)

private:
    void release();
    // Mouse wheel zoom, right-drag pan, double right-click reset; fills f's visible uv range and hit.
    void interact(Frame& f, HeatmapHit& hit);
    void update_texture(const Matrix& values, const HeatmapStyle& style);

    GLuint values_tex_ = 0, color_tex_ = 0, fbo_ = 0;
    int rows_ = 0, cols_ = 0;
    std::uint64_t key_ = 0;
    float zoom_ = 1.0f;
    ImVec2 center_{0.5f, 0.5f};
};

// The colormap program, lookup tables and masked hatch, alive while the GL context is: create one
// after the context and before any Heatmap draws; destroy it before the context goes.
class ColormapPass {
public:
    ColormapPass();
    ~ColormapPass();
    ColormapPass(const ColormapPass&) = delete;
    ColormapPass& operator=(const ColormapPass&) = delete;
};

// Where a Heatmap put its cells on screen, in framebuffer pixels, so that screenshot tests
// (attnscope render --layout-json) can find them. Only the current ImGui frame's are kept.
struct HeatmapPlacement {
    std::string id;
    float x0, y0, x1, y1;  // the cell area at zoom 1, excluding labels
    int rows, cols;
    int marked = 0;        // cells outlined as marked (edited)
};
std::vector<HeatmapPlacement> heatmaps_drawn_this_frame();

// Attention weights: viridis over 0..1 (the default style); weights outside 0..1 (a low-rank
// variant's effective weights) get the diverging colormap instead, so that no value is clipped.
void color_weights(HeatmapStyle& style, const Matrix& weights);

// Signed values: the diverging colormap, symmetric around zero out to the largest finite
// |value| (1 when every value is zero).
HeatmapStyle diverging_style(const Matrix& values);

// A masked area: the masked grey, translucent, under 45-degree lines 8 pixels apart (one
// textured quad, so a tall chart costs a software rasterizer no more than a filled rectangle).
void draw_masked_hatch(ImDrawList* dl, ImVec2 a, ImVec2 b);

// A horizontal colour bar with the scale's ends and middle; `masked` adds a masked swatch.
void draw_colorbar(Colormap map, double lo, double hi, bool masked = false);

// A number as panels show it: 4 significant digits; -inf as "masked".
std::string format_value(double v);

}  // namespace attnscope::gui
