#include "gui/widgets/heatmap.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "gui/content_hash.hpp"
#include "gui/damage.hpp"
#include "gui/shader.hpp"
#include "gui/widgets/rotated_text.hpp"

namespace attnscope::gui {
namespace {

struct PassResources {
    GLuint program = 0, vao = 0;
    GLuint lut[2] = {0, 0};  // indexed by Colormap
    GLuint hatch = 0;        // 8 x 8, repeating
    GLint lo = -1, hi = -1, masked = -1;
};
PassResources* g_pass = nullptr;  // set while a ColormapPass lives

// Tagged with ImGui's frame count so that it empties itself when a new frame starts.
struct Placements {
    int frame = -1;
    std::vector<HeatmapPlacement> list;
};
Placements g_placements;

void record_placement(const char* id, ImVec2 p0, ImVec2 p1, int rows, int cols, int marked) {
    if (g_placements.frame != ImGui::GetFrameCount()) g_placements = {ImGui::GetFrameCount(), {}};
    g_placements.list.push_back({id, p0.x, p0.y, p1.x, p1.y, rows, cols, marked});
}

GLuint make_lut(Colormap map) {
    const auto table = colormap_table(map);
    std::vector<std::uint8_t> rgba;
    for (const Rgb& c : table) rgba.insert(rgba.end(), {c.r, c.g, c.b, 255});
    GLuint tex = 0;
    glGenTextures(1, &tex);
    glBindTexture(GL_TEXTURE_2D, tex);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, kColormapSize, 1, 0, GL_RGBA, GL_UNSIGNED_BYTE, rgba.data());
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    return tex;
}

GLuint make_hatch() {
    constexpr int kSize = 8;
    std::vector<std::uint8_t> rgba;
    for (int y = 0; y < kSize; ++y)
        for (int x = 0; x < kSize; ++x)  // x + y constant: a line rising to the right on screen
            rgba.insert(rgba.end(), {kMaskedColor.r, kMaskedColor.g, kMaskedColor.b,
                                     static_cast<std::uint8_t>((x + y) % kSize == 0 ? 200 : 60)});
    GLuint tex = 0;
    glGenTextures(1, &tex);
    glBindTexture(GL_TEXTURE_2D, tex);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, kSize, kSize, 0, GL_RGBA, GL_UNSIGNED_BYTE, rgba.data());
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_REPEAT);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_REPEAT);
    return tex;
}

GLuint make_texture(GLenum internal_format, int w, int h, GLenum format, GLenum type, const void* data) {
    GLuint tex = 0;
    glGenTextures(1, &tex);
    glBindTexture(GL_TEXTURE_2D, tex);
    glTexImage2D(GL_TEXTURE_2D, 0, internal_format, w, h, 0, format, type, data);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);  // cells stay crisp when zoomed
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    return tex;
}

// Runs every frame over every drawn matrix (8 MB at n = 1024).
std::uint64_t content_key(const Matrix& m, const HeatmapStyle& s) {
    ContentHash h;
    h.add_value(static_cast<long long>(m.rows()));
    h.add_value(static_cast<long long>(m.cols()));
    h.add(m.data(), sizeof(double) * m.size());
    h.add_value(s.lo);
    h.add_value(s.hi);
    h.add_value(s.map);
    if (s.allowed) h.add(s.allowed->data(), sizeof(bool) * s.allowed->size());
    return h.value();
}

std::string fit_label(const std::string& s, float max_width) {
    if (ImGui::CalcTextSize(s.c_str()).x <= max_width) return s;
    std::string out = s;
    while (!out.empty() && ImGui::CalcTextSize((out + "..").c_str()).x > max_width) {
        out.pop_back();
        while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();  // UTF-8
    }
    return out + "..";
}

float widest(const std::vector<std::string>* labels, float cap) {
    float w = 0.0f;
    if (labels)
        for (const std::string& s : *labels) w = std::max(w, ImGui::CalcTextSize(s.c_str()).x);
    return std::min(w, cap);
}

}  // namespace

ColormapPass::ColormapPass() {
    auto* pass = new PassResources;
    pass->program = build_program("fullscreen.vert", "colormap.frag");
    pass->lo = glGetUniformLocation(pass->program, "u_lo");
    pass->hi = glGetUniformLocation(pass->program, "u_hi");
    pass->masked = glGetUniformLocation(pass->program, "u_masked_color");
    glGenVertexArrays(1, &pass->vao);
    pass->lut[static_cast<int>(Colormap::Viridis)] = make_lut(Colormap::Viridis);
    pass->lut[static_cast<int>(Colormap::Diverging)] = make_lut(Colormap::Diverging);
    pass->hatch = make_hatch();
    g_pass = pass;
}

ColormapPass::~ColormapPass() {
    glDeleteProgram(g_pass->program);
    glDeleteVertexArrays(1, &g_pass->vao);
    glDeleteTextures(2, g_pass->lut);
    glDeleteTextures(1, &g_pass->hatch);
    delete g_pass;
    g_pass = nullptr;
}

void Heatmap::release() {
    if (g_pass && color_tex_) {  // without a pass the context is gone, and so are the textures
        glDeleteTextures(1, &values_tex_);
        glDeleteTextures(1, &color_tex_);
        glDeleteFramebuffers(1, &fbo_);
    }
    values_tex_ = color_tex_ = fbo_ = 0;
}

Heatmap& Heatmap::operator=(Heatmap&& other) noexcept {
    if (this == &other) return *this;
    release();
    values_tex_ = std::exchange(other.values_tex_, 0);
    color_tex_ = std::exchange(other.color_tex_, 0);
    fbo_ = std::exchange(other.fbo_, 0);
    rows_ = other.rows_, cols_ = other.cols_, key_ = other.key_, zoom_ = other.zoom_, center_ = other.center_;
    return *this;
}

Heatmap::~Heatmap() { release(); }

void Heatmap::update_texture(const Matrix& values, const HeatmapStyle& style) {
    const std::uint64_t key = content_key(values, style);
    if (key == key_ && color_tex_ != 0) return;
    key_ = key;
    note_texture_changed();
    GLint viewport[4], prev_fbo = 0, prev_program = 0;  // restored at the end: ImGui draws after us
    glGetIntegerv(GL_VIEWPORT, viewport);
    glGetIntegerv(GL_FRAMEBUFFER_BINDING, &prev_fbo);
    glGetIntegerv(GL_CURRENT_PROGRAM, &prev_program);
    const int rows = static_cast<int>(values.rows()), cols = static_cast<int>(values.cols());
    std::vector<float> data(values.data(), values.data() + values.size());  // row-major: texel row r = row r
    if (style.allowed && style.allowed->size() == values.size())
        for (int i = 0; i < values.size(); ++i)
            if (!style.allowed->data()[i]) data[i] = -INFINITY;  // the shader's masked colour
    if (rows != rows_ || cols != cols_ || color_tex_ == 0) {
        glDeleteTextures(1, &values_tex_);
        glDeleteTextures(1, &color_tex_);
        glDeleteFramebuffers(1, &fbo_);
        values_tex_ = make_texture(GL_R32F, cols, rows, GL_RED, GL_FLOAT, data.data());
        color_tex_ = make_texture(GL_RGBA8, cols, rows, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
        glGenFramebuffers(1, &fbo_);
        glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
        glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, color_tex_, 0);
        rows_ = rows, cols_ = cols;
    } else {
        glBindTexture(GL_TEXTURE_2D, values_tex_);
        glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
        glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, cols, rows, GL_RED, GL_FLOAT, data.data());
    }
    glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
    glViewport(0, 0, cols, rows);
    glDisable(GL_BLEND);
    glDisable(GL_SCISSOR_TEST);
    glUseProgram(g_pass->program);
    glUniform1f(g_pass->lo, static_cast<float>(style.lo));
    glUniform1f(g_pass->hi, static_cast<float>(style.hi));
    glUniform4f(g_pass->masked, kMaskedColor.r / 255.f, kMaskedColor.g / 255.f, kMaskedColor.b / 255.f, 1.f);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, values_tex_);
    glActiveTexture(GL_TEXTURE1);
    glBindTexture(GL_TEXTURE_2D, g_pass->lut[static_cast<int>(style.map)]);
    glBindVertexArray(g_pass->vao);
    glDrawArrays(GL_TRIANGLES, 0, 3);
    glActiveTexture(GL_TEXTURE0);
    glBindFramebuffer(GL_FRAMEBUFFER, prev_fbo);
    glViewport(viewport[0], viewport[1], viewport[2], viewport[3]);
    glUseProgram(prev_program);
}

// Where a heatmap's cells and labels go this frame, and which part of it the zoom shows.
struct Heatmap::Frame {
    int rows = 0, cols = 0;
    ImVec2 origin, p0, p1, size;  // the widget's corner; the cells' rectangle and its size
    float left = 0, top = 0;      // room for the row labels and the column labels
    float cell = 0;               // a cell's side, unzoomed
    bool upright = false;         // column labels upright (they fit a cell) or vertical
    ImVec2 uv0, uv1;              // the visible part of the matrix, 0..1
    // Screen position of a cell edge, in the zoomed view.
    float col_x(double c) const { return p0.x + static_cast<float>((c / cols - uv0.x) / (uv1.x - uv0.x)) * size.x; }
    float row_y(double r) const { return p0.y + static_cast<float>((r / rows - uv0.y) / (uv1.y - uv0.y)) * size.y; }
};

namespace {

using Frame = Heatmap::Frame;

Frame heatmap_frame(const HeatmapStyle& style, int rows, int cols) {
    Frame f;
    f.rows = rows, f.cols = cols;
    const float font = ImGui::GetFontSize();
    f.left = style.row_labels ? widest(style.row_labels, 8 * font) + 6 : 0.0f;
    const float avail = std::max(ImGui::GetContentRegionAvail().x - f.left, 32.0f);
    float cell = std::min(style.max_cell, avail / cols);
    // Column labels stand upright when every one fits its cell (single CJK characters), else vertical.
    const float widest_col = widest(style.col_labels, 6 * font);
    f.upright = widest_col + 2 <= cell;
    f.top = !style.col_labels ? 0.0f : f.upright ? font + 4 : widest_col + 6;
    if (style.max_height > 0) cell = std::min(cell, (style.max_height - f.top) / rows);
    f.cell = std::max(cell, 0.25f);
    f.origin = ImGui::GetCursorScreenPos();
    f.p0 = ImVec2(f.origin.x + f.left, f.origin.y + f.top);
    f.size = ImVec2(f.cell * cols, f.cell * rows);
    f.p1 = ImVec2(f.p0.x + f.size.x, f.p0.y + f.size.y);
    return f;
}

void draw_overlays(ImDrawList* dl, const Frame& f, const HeatmapStyle& style, const HeatmapHit& hit) {
    dl->PushClipRect(f.p0, f.p1, true);
    if (style.column_groups > 0)
        for (int c = style.column_groups; c < f.cols; c += style.column_groups) {  // dark under light: seen on any colour
            dl->AddLine(ImVec2(f.col_x(c), f.p0.y), ImVec2(f.col_x(c), f.p1.y), IM_COL32(0, 0, 0, 220), 3.0f);
            dl->AddLine(ImVec2(f.col_x(c), f.p0.y), ImVec2(f.col_x(c), f.p1.y), IM_COL32(255, 255, 255, 230), 1.0f);
        }
    if (style.highlight_row >= 0 && style.highlight_row < f.rows)
        dl->AddRect(ImVec2(f.p0.x, f.row_y(style.highlight_row)), ImVec2(f.p1.x, f.row_y(style.highlight_row + 1)),
                    IM_COL32(255, 80, 40, 255), 0.0f, 0, 2.0f);
    if (style.highlight_cols_begin >= 0 && style.highlight_cols_end > style.highlight_cols_begin)
        dl->AddRect(ImVec2(f.col_x(style.highlight_cols_begin), f.p0.y), ImVec2(f.col_x(style.highlight_cols_end), f.p1.y),
                    IM_COL32(255, 80, 40, 255), 0.0f, 0, 3.0f);
    for (const auto& [r, c] : style.marked) {  // dark under cyan: seen on any colour
        if (r < 0 || r >= f.rows || c < 0 || c >= f.cols) continue;
        const ImVec2 a(f.col_x(c), f.row_y(r)), b(f.col_x(c + 1), f.row_y(r + 1));
        dl->AddRect(a, b, IM_COL32(0, 0, 0, 230), 0.0f, 0, 3.5f);
        dl->AddRect(a, b, IM_COL32(0, 230, 255, 255), 0.0f, 0, 1.5f);
    }
    if (hit.hovered())
        dl->AddRect(ImVec2(f.col_x(hit.col), f.row_y(hit.row)), ImVec2(f.col_x(hit.col + 1), f.row_y(hit.row + 1)),
                    IM_COL32(255, 255, 255, 255), 0.0f, 0, 1.5f);
    dl->PopClipRect();
}

// Labels: every k-th one, so that they never overlap.
void draw_labels(ImDrawList* dl, const Frame& f, const HeatmapStyle& style, float zoom) {
    const float font = ImGui::GetFontSize();
    const int step = std::max(1, static_cast<int>(std::ceil(font / (f.cell * zoom))));
    const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text);
    if (style.row_labels) {
        dl->PushClipRect(ImVec2(f.origin.x, f.p0.y), ImVec2(f.p0.x, f.p1.y), true);
        for (int r = 0; r < f.rows && r < static_cast<int>(style.row_labels->size()); r += step) {
            const float y = (f.row_y(r) + f.row_y(r + 1)) * 0.5f - font * 0.5f;
            const std::string s = fit_label((*style.row_labels)[r], f.left - 6);
            const ImU32 c = r == style.highlight_row ? IM_COL32(255, 120, 60, 255) : text;
            dl->AddText(ImVec2(f.p0.x - 4 - ImGui::CalcTextSize(s.c_str()).x, y), c, s.c_str());
        }
        dl->PopClipRect();
    }
    if (style.col_labels) {
        dl->PushClipRect(ImVec2(f.p0.x, f.origin.y), ImVec2(f.p1.x, f.p0.y), true);
        for (int c = 0; c < f.cols && c < static_cast<int>(style.col_labels->size()); c += step) {
            const float x = (f.col_x(c) + f.col_x(c + 1)) * 0.5f;
            if (f.upright) {
                const std::string& s = (*style.col_labels)[c];
                dl->AddText(ImVec2(x - ImGui::CalcTextSize(s.c_str()).x * 0.5f, f.p0.y - font - 2), text, s.c_str());
                continue;
            }
            const std::string s = fit_label((*style.col_labels)[c], f.top - 6);
            const ImVec2 pivot(x - font * 0.5f, f.p0.y - 4);
            const int first = dl->VtxBuffer.Size;
            dl->AddText(pivot, text, s.c_str());
            rotate_to_vertical(dl, first, pivot);
        }
        dl->PopClipRect();
    }
}

}  // namespace

void Heatmap::interact(Frame& f, HeatmapHit& hit) {
    ImGui::SetCursorScreenPos(f.p0);
    ImGui::InvisibleButton("cells", f.size, ImGuiButtonFlags_MouseButtonLeft | ImGuiButtonFlags_MouseButtonRight);
    const bool hovered = ImGui::IsItemHovered();
    ImGuiIO& io = ImGui::GetIO();
    const float half = 0.5f / zoom_;
    if (hovered && io.MouseWheel != 0.0f) {
        const ImVec2 at((io.MousePos.x - f.p0.x) / f.size.x, (io.MousePos.y - f.p0.y) / f.size.y);
        const ImVec2 uv(center_.x - half + at.x * 2 * half, center_.y - half + at.y * 2 * half);
        zoom_ = std::clamp(zoom_ * std::pow(1.25f, io.MouseWheel), 1.0f, 64.0f);
        const float h = 0.5f / zoom_;
        center_ = ImVec2(uv.x - (at.x - 0.5f) * 2 * h, uv.y - (at.y - 0.5f) * 2 * h);  // keep the cell under the mouse
    }
    if (ImGui::IsItemActive() && ImGui::IsMouseDragging(ImGuiMouseButton_Right)) {
        center_.x -= io.MouseDelta.x / f.size.x / zoom_;
        center_.y -= io.MouseDelta.y / f.size.y / zoom_;
    }
    if (hovered && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Right)) reset_view();
    const float h = 0.5f / zoom_;
    center_.x = std::clamp(center_.x, h, 1.0f - h);
    center_.y = std::clamp(center_.y, h, 1.0f - h);
    f.uv0 = ImVec2(center_.x - h, center_.y - h), f.uv1 = ImVec2(center_.x + h, center_.y + h);
    if (hovered) {
        const double u = f.uv0.x + (io.MousePos.x - f.p0.x) / f.size.x * (f.uv1.x - f.uv0.x);
        const double v = f.uv0.y + (io.MousePos.y - f.p0.y) / f.size.y * (f.uv1.y - f.uv0.y);
        hit.col = std::clamp(static_cast<int>(u * f.cols), 0, f.cols - 1);
        hit.row = std::clamp(static_cast<int>(v * f.rows), 0, f.rows - 1);
        hit.clicked = ImGui::IsItemClicked(ImGuiMouseButton_Left);
    }
}

HeatmapHit Heatmap::draw(const char* id, const Matrix& values, const HeatmapStyle& style) {
    HeatmapHit hit;
    if (values.size() == 0) {
        ImGui::TextDisabled("(empty matrix)");
        return hit;
    }
    update_texture(values, style);
    Frame f = heatmap_frame(style, rows_, cols_);
    ImGui::PushID(id);
    interact(f, hit);  // first, so that this frame's zoom and pan are drawn at once
    int marked = 0;
    for (const auto& [r, c] : style.marked) marked += r >= 0 && r < f.rows && c >= 0 && c < f.cols;
    record_placement(id, f.p0, f.p1, f.rows, f.cols, marked);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->AddImage(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(color_tex_)), f.p0, f.p1, f.uv0, f.uv1);
    draw_overlays(dl, f, style, hit);
    draw_labels(dl, f, style, zoom_);
    ImGui::PopID();
    ImGui::SetCursorScreenPos(ImVec2(f.origin.x, f.p1.y + 4));
    ImGui::Dummy(ImVec2(f.left + f.size.x, 0));
    return hit;
}

std::vector<HeatmapPlacement> heatmaps_drawn_this_frame() {
    return g_placements.frame == ImGui::GetFrameCount() ? g_placements.list : std::vector<HeatmapPlacement>{};
}

void color_weights(HeatmapStyle& style, const Matrix& weights) {
    if (weights.size() == 0 || (weights.minCoeff() >= 0.0 && weights.maxCoeff() <= 1.0)) return;
    const HeatmapStyle d = diverging_style(weights);
    style.map = d.map, style.lo = d.lo, style.hi = d.hi;
}

HeatmapStyle diverging_style(const Matrix& values) {
    double r = 0.0;
    for (int i = 0; i < values.size(); ++i)
        if (std::isfinite(values.data()[i])) r = std::max(r, std::abs(values.data()[i]));
    HeatmapStyle style;
    style.map = Colormap::Diverging;
    style.lo = r > 0 ? -r : -1.0;
    style.hi = r > 0 ? r : 1.0;
    return style;
}

void draw_masked_hatch(ImDrawList* dl, ImVec2 a, ImVec2 b) {
    if (!g_pass) return;
    // Texture coordinates from screen pixels: neighbouring areas' lines continue into each other.
    dl->AddImage(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(g_pass->hatch)), a, b, ImVec2(a.x / 8, a.y / 8),
                 ImVec2(b.x / 8, b.y / 8));
}

void draw_colorbar(Colormap map, double lo, double hi, bool masked) {
    const float w = std::min(ImGui::GetContentRegionAvail().x * 0.6f, 260.0f), h = ImGui::GetFontSize() * 0.8f;
    const ImVec2 p = ImGui::GetCursorScreenPos();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    constexpr int kSegments = 32;
    for (int i = 0; i < kSegments; ++i) {
        const Rgb a = colormap_color(map, i / double(kSegments)), b = colormap_color(map, (i + 1) / double(kSegments));
        dl->AddRectFilledMultiColor(ImVec2(p.x + w * i / kSegments, p.y), ImVec2(p.x + w * (i + 1) / kSegments, p.y + h),
                                    IM_COL32(a.r, a.g, a.b, 255), IM_COL32(b.r, b.g, b.b, 255),
                                    IM_COL32(b.r, b.g, b.b, 255), IM_COL32(a.r, a.g, a.b, 255));
    }
    ImGui::Dummy(ImVec2(w, h));
    const std::string l = format_value(lo), m = format_value((lo + hi) / 2), r = format_value(hi);
    // Gaps from the previous item in screen space: SameLine(offset) is off inside tables and groups.
    auto next_at = [](float x) { ImGui::SameLine(0, std::max(x - ImGui::GetItemRectMax().x, 4.0f)); };
    ImGui::TextUnformatted(l.c_str());
    next_at(p.x + w / 2 - ImGui::CalcTextSize(m.c_str()).x / 2);
    ImGui::TextUnformatted(m.c_str());
    next_at(p.x + w - ImGui::CalcTextSize(r.c_str()).x);
    ImGui::TextUnformatted(r.c_str());
    if (masked) {
        ImGui::SameLine(0, 24);
        const ImVec2 q = ImGui::GetCursorScreenPos();
        dl->AddRectFilled(q, ImVec2(q.x + h, q.y + h), IM_COL32(kMaskedColor.r, kMaskedColor.g, kMaskedColor.b, 255));
        ImGui::Dummy(ImVec2(h, h));
        ImGui::SameLine();
        ImGui::TextUnformatted("masked");
    }
}

std::string format_value(double v) {
    if (std::isinf(v)) return v < 0 ? "masked (-inf)" : "inf";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return buf;
}

}  // namespace attnscope::gui
