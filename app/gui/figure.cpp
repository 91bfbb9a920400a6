#include "gui/figure.hpp"

#include <stb_truetype.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>

#include "attnscope/error.hpp"
#include "attnscope/tokenizer.hpp"
#include "gui/fonts.hpp"

namespace attnscope::gui {
namespace {

constexpr int kMaxSide = 8192;  // keeps a tall, narrow matrix (n x 1) from becoming a huge image
constexpr Rgb kInk{30, 30, 30};
constexpr int kMaxLabelChars = 14;

// Cell (i, j) of `m` as a k x k block at (x0 + j k, y0 + i k).
void paint_cells(RgbaImage& img, int x0, int y0, int k, const Matrix& m, Colormap map, double lo, double hi) {
    const double span = hi > lo ? hi - lo : 1.0;
    for (int i = 0; i < m.rows(); ++i)
        for (int j = 0; j < m.cols(); ++j) {
            const double v = m(i, j);
            const Rgb c = std::isfinite(v) ? colormap_color(map, (v - lo) / span) : kMaskedColor;
            for (int y = y0 + i * k; y < y0 + (i + 1) * k; ++y) {
                unsigned char* px = &img.rgba[(static_cast<size_t>(y) * img.width + x0 + static_cast<size_t>(j) * k) * 4];
                for (int x = 0; x < k; ++x, px += 4) px[0] = c.r, px[1] = c.g, px[2] = c.b, px[3] = 255;
            }
        }
}

RgbaImage blank(int width, int height, unsigned char fill) {
    RgbaImage img{width, height, {}};
    img.rgba.assign(static_cast<size_t>(width) * height * 4, fill);
    return img;
}

void fill_rect(RgbaImage& img, PixelRect r, Rgb c) {
    for (int y = std::max(0, r.y0); y < std::min(img.height, r.y1); ++y)
        for (int x = std::max(0, r.x0); x < std::min(img.width, r.x1); ++x) {
            unsigned char* px = &img.rgba[(static_cast<size_t>(y) * img.width + x) * 4];
            px[0] = c.r, px[1] = c.g, px[2] = c.b, px[3] = 255;
        }
}

// ---- text: stb_truetype over the GUI's font files ----

struct FontFile {
    std::vector<unsigned char> bytes;
    stbtt_fontinfo info{};
    bool ok = false;
};

std::unique_ptr<FontFile> load_font(const char* path) {
    auto f = std::make_unique<FontFile>();
    std::ifstream in(path, std::ios::binary);
    if (!in) return f;
    f->bytes.assign(std::istreambuf_iterator<char>(in), {});
    const int offset = stbtt_GetFontOffsetForIndex(f->bytes.data(), 0);
    f->ok = offset >= 0 && stbtt_InitFont(&f->info, f->bytes.data(), offset) != 0;
    return f;
}

// Alpha coverage of a line of text: `height` rows, the baseline at `baseline`.
struct Coverage {
    int width = 0, height = 0;
    std::vector<unsigned char> alpha;
};

class TextPainter {
public:
    static const TextPainter& get() {
        static const TextPainter painter;
        return painter;
    }

    Coverage render(const std::string& text, float px) const {
        Coverage out;
        if (!latin_->ok) return out;  // no font: no text (the GUI reports the missing font)
        const float scale = stbtt_ScaleForPixelHeight(&latin_->info, px);
        int ascent = 0, descent = 0, gap = 0;
        stbtt_GetFontVMetrics(&latin_->info, &ascent, &descent, &gap);
        const int baseline = static_cast<int>(std::ceil(ascent * scale));
        out.height = baseline + static_cast<int>(std::ceil(-descent * scale)) + 1;
        std::vector<std::pair<const FontFile*, int>> glyphs;
        for (char32_t c : code_points(text)) glyphs.push_back(glyph(c));
        std::vector<float> pen;
        float x = 0;
        for (const auto& [font, g] : glyphs) {
            pen.push_back(x);
            int advance = 0, bearing = 0;
            stbtt_GetGlyphHMetrics(&font->info, g, &advance, &bearing);
            x += advance * stbtt_ScaleForPixelHeight(&font->info, px);
        }
        out.width = static_cast<int>(std::ceil(x)) + 1;
        out.alpha.assign(static_cast<size_t>(out.width) * out.height, 0);
        std::vector<unsigned char> bitmap;
        for (std::size_t i = 0; i < glyphs.size(); ++i) {
            const auto& [font, g] = glyphs[i];
            const float s = stbtt_ScaleForPixelHeight(&font->info, px);
            int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
            stbtt_GetGlyphBitmapBox(&font->info, g, s, s, &x0, &y0, &x1, &y1);
            const int w = x1 - x0, h = y1 - y0;
            if (w <= 0 || h <= 0) continue;
            bitmap.assign(static_cast<size_t>(w) * h, 0);
            stbtt_MakeGlyphBitmap(&font->info, bitmap.data(), w, h, w, s, s, g);
            const int ox = static_cast<int>(std::lround(pen[i])) + x0, oy = baseline + y0;
            for (int y = 0; y < h; ++y)
                for (int xx = 0; xx < w; ++xx) {
                    const int tx = ox + xx, ty = oy + y;
                    if (tx < 0 || ty < 0 || tx >= out.width || ty >= out.height) continue;
                    unsigned char& a = out.alpha[static_cast<size_t>(ty) * out.width + tx];
                    a = std::max(a, bitmap[static_cast<size_t>(y) * w + xx]);
                }
        }
        return out;
    }

private:
    TextPainter() : latin_(load_font(latin_font_file())), cjk_(load_font(cjk_font_file())) {}

    static std::vector<char32_t> code_points(const std::string& text) {
        try {
            return decode_utf8(text);
        } catch (...) {
            return std::vector<char32_t>(text.size(), U'?');  // invalid UTF-8: one '?' per byte
        }
    }

    // The first font that has the character, else '?' in the Latin font.
    std::pair<const FontFile*, int> glyph(char32_t c) const {
        for (const FontFile* f : {latin_.get(), cjk_.get()})
            if (f->ok)
                if (const int g = stbtt_FindGlyphIndex(&f->info, static_cast<int>(c))) return {f, g};
        return {latin_.get(), stbtt_FindGlyphIndex(&latin_->info, '?')};
    }

    std::unique_ptr<FontFile> latin_, cjk_;
};

// Draws `text` with its top-left corner at (x, y); rotated: turned a quarter to read upwards, its
// top-left corner (after turning) at (x, y). Returns the box of the pixels inked.
PixelRect draw_text(RgbaImage& img, const Coverage& text, int x, int y, Rgb color, bool rotated = false) {
    PixelRect ink{img.width, img.height, 0, 0};
    for (int cy = 0; cy < text.height; ++cy)
        for (int cx = 0; cx < text.width; ++cx) {
            const int a = text.alpha[static_cast<size_t>(cy) * text.width + cx];
            if (a == 0) continue;
            const int px = rotated ? x + cy : x + cx, py = rotated ? y + (text.width - 1 - cx) : y + cy;
            if (px < 0 || py < 0 || px >= img.width || py >= img.height) continue;
            unsigned char* p = &img.rgba[(static_cast<size_t>(py) * img.width + px) * 4];
            const Rgb c = color;
            p[0] = static_cast<unsigned char>((c.r * a + p[0] * (255 - a)) / 255);
            p[1] = static_cast<unsigned char>((c.g * a + p[1] * (255 - a)) / 255);
            p[2] = static_cast<unsigned char>((c.b * a + p[2] * (255 - a)) / 255);
            ink.x0 = std::min(ink.x0, px), ink.y0 = std::min(ink.y0, py);
            ink.x1 = std::max(ink.x1, px + 1), ink.y1 = std::max(ink.y1, py + 1);
        }
    if (ink.x1 == 0) ink = {};
    return ink;
}

std::string short_label(const std::string& label) {
    std::vector<char32_t> cps;
    try {
        cps = decode_utf8(label);
    } catch (...) {
        return label.substr(0, kMaxLabelChars);
    }
    if (static_cast<int>(cps.size()) <= kMaxLabelChars) return label;
    std::string out;
    for (int i = 0; i < kMaxLabelChars - 1; ++i) append_utf8(out, cps[i]);
    append_utf8(out, U'\u2026');
    return out;
}

std::string tick(double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3g", v);
    return text;
}

void check_labels(const std::vector<std::string>* labels, Eigen::Index want, const char* what) {
    if (labels && static_cast<Eigen::Index>(labels->size()) != want)
        throw Error(std::string("the figure has ") + std::to_string(labels->size()) + " " + what + " labels for " +
                    std::to_string(want) + " " + what + "s");
}

}  // namespace

Rgb RgbaImage::at(int x, int y) const {
    const unsigned char* p = &rgba[(static_cast<size_t>(y) * width + x) * 4];
    return {p[0], p[1], p[2]};
}

RgbaImage matrix_image(const Matrix& m, Colormap map, double lo, double hi, int min_width) {
    const int rows = static_cast<int>(m.rows()), cols = static_cast<int>(m.cols());
    if (rows == 0 || cols == 0) throw Error("the matrix is empty: there is nothing to draw");
    const int k = std::max(1, std::min((min_width + cols - 1) / cols, kMaxSide / rows));
    RgbaImage img = blank(cols * k, rows * k, 255);
    paint_cells(img, 0, 0, k, m, map, lo, hi);
    return img;
}

Figure heatmap_figure(const Matrix& m, const FigureStyle& style) {
    const int rows = static_cast<int>(m.rows()), cols = static_cast<int>(m.cols());
    if (rows == 0 || cols == 0) throw Error("the matrix is empty: there is nothing to draw");
    check_labels(style.row_labels, m.rows(), "row");
    check_labels(style.col_labels, m.cols(), "column");
    const TextPainter& text = TextPainter::get();
    Figure f;
    // Cells of 16 px where that fits in 8192 pixels (labels need about that much room).
    f.cell = std::max(1, std::min({(std::max(512, 16 * cols) + cols - 1) / cols, kMaxSide / rows, kMaxSide / cols}));
    const float label_px = static_cast<float>(std::clamp(f.cell - 3, 9, 15));
    constexpr int margin = 14, gap = 6, bar_w = 18;

    auto labels = [&](const std::vector<std::string>* names) {
        std::vector<Coverage> out;
        if (names)
            for (const std::string& n : *names) out.push_back(text.render(short_label(n), label_px));
        return out;
    };
    const std::vector<Coverage> row_text = labels(style.row_labels), col_text = labels(style.col_labels);
    int row_w = 0, col_h = 0;
    for (const Coverage& c : row_text) row_w = std::max(row_w, c.width);
    for (const Coverage& c : col_text) col_h = std::max(col_h, c.width);
    const Coverage title = style.title.empty() ? Coverage{} : text.render(style.title, 17);
    f.masked = std::any_of(m.data(), m.data() + m.size(), [](double v) { return !std::isfinite(v); });
    const std::vector<Coverage> ticks = {text.render(tick(style.hi), 13), text.render(tick((style.lo + style.hi) / 2), 13),
                                         text.render(tick(style.lo), 13)};
    const Coverage masked = f.masked ? text.render("masked", 13) : Coverage{};
    int tick_w = masked.width;
    for (const Coverage& c : ticks) tick_w = std::max(tick_w, c.width);

    const int cells_w = cols * f.cell, cells_h = rows * f.cell;
    f.cells.x0 = margin + (row_w > 0 ? row_w + gap : 0);
    f.cells.y0 = margin + (title.height > 0 ? title.height + 8 : 0) + (col_h > 0 ? col_h + gap : 0);
    f.cells.x1 = f.cells.x0 + cells_w, f.cells.y1 = f.cells.y0 + cells_h;
    f.colorbar = {f.cells.x1 + 16, f.cells.y0, f.cells.x1 + 16 + bar_w, f.cells.y0 + std::max(cells_h, 160)};
    const int swatch_y = f.colorbar.y1 + 10, swatch = 16;
    const int bottom = f.masked ? swatch_y + swatch : f.colorbar.y1;
    const int width = std::max(f.colorbar.x1 + 4 + gap + tick_w + margin, 2 * margin + title.width);
    f.image = blank(width, std::max(f.cells.y1, bottom) + margin, 255);

    paint_cells(f.image, f.cells.x0, f.cells.y0, f.cell, m, style.map, style.lo, style.hi);
    if (title.height > 0) draw_text(f.image, title, margin, margin, kInk);
    for (int i = 0; i < static_cast<int>(row_text.size()); ++i) {
        const Coverage& c = row_text[i];
        f.row_labels.push_back(draw_text(f.image, c, f.cells.x0 - gap - c.width,
                                         f.cells.y0 + i * f.cell + (f.cell - c.height) / 2, kInk));
    }
    for (int j = 0; j < static_cast<int>(col_text.size()); ++j) {
        const Coverage& c = col_text[j];
        f.col_labels.push_back(draw_text(f.image, c, f.cells.x0 + j * f.cell + (f.cell - c.height) / 2,
                                         f.cells.y0 - gap - c.width, kInk, true));
    }
    // The colour bar: hi at the top row, lo at the bottom row, with three ticks.
    const int bar_h = f.colorbar.y1 - f.colorbar.y0;
    for (int y = 0; y < bar_h; ++y) {
        const double t = bar_h > 1 ? 1.0 - static_cast<double>(y) / (bar_h - 1) : 1.0;
        fill_rect(f.image, {f.colorbar.x0, f.colorbar.y0 + y, f.colorbar.x1, f.colorbar.y0 + y + 1},
                  colormap_color(style.map, t));
    }
    for (int i = 0; i < 3; ++i) {
        const int y = f.colorbar.y0 + i * (bar_h - 1) / 2;
        fill_rect(f.image, {f.colorbar.x1, y, f.colorbar.x1 + 4, y + 1}, kInk);
        draw_text(f.image, ticks[i], f.colorbar.x1 + 4 + gap, y - ticks[i].height / 2, kInk);
    }
    if (f.masked) {
        fill_rect(f.image, {f.colorbar.x0, swatch_y, f.colorbar.x0 + swatch, swatch_y + swatch}, kMaskedColor);
        draw_text(f.image, masked, f.colorbar.x1 + 4 + gap, swatch_y + (swatch - masked.height) / 2, kInk);
    }
    return f;
}

}  // namespace attnscope::gui
