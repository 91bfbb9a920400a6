// Tests app/gui/figure.cpp: the paper-ready figure of a matrix (cells, token labels on both axes,
// colour bar, masked swatch), checked on its pixels.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "attnscope/error.hpp"
#include "gui/figure.hpp"
#include "gui/fonts.hpp"

using attnscope::Matrix;
using attnscope::gui::Colormap;
using attnscope::gui::colormap_color;
using attnscope::gui::Figure;
using attnscope::gui::FigureStyle;
using attnscope::gui::heatmap_figure;
using attnscope::gui::PixelRect;
using attnscope::gui::Rgb;

namespace {

bool same(Rgb a, Rgb b) { return a.r == b.r && a.g == b.g && a.b == b.b; }
bool white(Rgb a) { return a.r == 255 && a.g == 255 && a.b == 255; }
bool inked(const PixelRect& r) { return r.x1 > r.x0 && r.y1 > r.y0; }

// No pixel of `r` differs from white.
bool blank(const Figure& f, PixelRect r) {
    for (int y = r.y0; y < r.y1; ++y)
        for (int x = r.x0; x < r.x1; ++x)
            if (!white(f.image.at(x, y))) return false;
    return true;
}

}  // namespace

TEST_CASE("a figure's cells are the matrix through the colormap, one block per cell", "[figure]") {
    Matrix m(2, 3);
    m << 0.0, 0.5, 1.0, 0.25, -INFINITY, 2.0;
    FigureStyle style;
    const Figure f = heatmap_figure(m, style);
    REQUIRE(f.cell >= 16);
    REQUIRE(f.cells.x1 - f.cells.x0 == 3 * f.cell);
    REQUIRE(f.cells.y1 - f.cells.y0 == 2 * f.cell);
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 3; ++j) {
            const Rgb want = std::isfinite(m(i, j)) ? colormap_color(Colormap::Viridis, m(i, j))
                                                    : attnscope::gui::kMaskedColor;
            for (auto [dx, dy] : {std::pair{0, 0}, {f.cell - 1, f.cell - 1}, {f.cell / 2, f.cell / 3}}) {
                INFO("cell " << i << "," << j);
                REQUIRE(same(f.image.at(f.cells.x0 + j * f.cell + dx, f.cells.y0 + i * f.cell + dy), want));
            }
        }
    // Nothing was asked for on the left: no labels there.
    REQUIRE(f.row_labels.empty());
    REQUIRE(blank(f, {0, 0, f.cells.x0, f.image.height}));
}

TEST_CASE("a figure's colour bar runs from hi at the top to lo at the bottom, with a masked swatch", "[figure]") {
    Matrix m(2, 2);
    m << -3.0, 0.0, 3.0, -INFINITY;
    FigureStyle style;
    style.map = Colormap::Diverging, style.lo = -3, style.hi = 3;
    const Figure f = heatmap_figure(m, style);
    const int x = (f.colorbar.x0 + f.colorbar.x1) / 2;
    REQUIRE(same(f.image.at(x, f.colorbar.y0), colormap_color(Colormap::Diverging, 1.0)));
    REQUIRE(same(f.image.at(x, f.colorbar.y1 - 1), colormap_color(Colormap::Diverging, 0.0)));
    REQUIRE(f.colorbar.y1 - f.colorbar.y0 >= 160);
    REQUIRE(f.masked);
    REQUIRE(same(f.image.at(f.colorbar.x0 + 2, f.colorbar.y1 + 12), attnscope::gui::kMaskedColor));
    // Tick labels are drawn right of the bar.
    REQUIRE_FALSE(blank(f, {f.colorbar.x1 + 5, f.colorbar.y0 - 8, f.image.width, f.colorbar.y1 + 8}));
    // Without masked cells there is no swatch.
    const Figure plain = heatmap_figure(Matrix::Zero(2, 2), style);
    REQUIRE_FALSE(plain.masked);
    REQUIRE(blank(plain, {plain.colorbar.x0, plain.colorbar.y1 + 1, plain.colorbar.x1, plain.image.height}));
}

TEST_CASE("a figure labels every row left of it and every column above it, reading upwards", "[figure]") {
    REQUIRE(std::filesystem::exists(attnscope::gui::latin_font_file()));  // scripts/setup.sh installs it
    const std::vector<std::string> tokens = {"The", "street", "was", "wide", "猫"};
    Matrix m = Matrix::Constant(5, 5, 0.2);
    FigureStyle style;
    style.row_labels = &tokens, style.col_labels = &tokens;
    style.title = "head0_attention (5 x 5)";
    const Figure f = heatmap_figure(m, style);
    REQUIRE(f.row_labels.size() == 5);
    REQUIRE(f.col_labels.size() == 5);
    REQUIRE(std::filesystem::exists(attnscope::gui::cjk_font_file()));
    for (int i = 0; i < 5; ++i) {
        INFO("label " << tokens[i]);
        const PixelRect& r = f.row_labels[i];
        REQUIRE(inked(r));
        REQUIRE(r.x1 <= f.cells.x0);                            // left of the cells
        REQUIRE(r.y0 >= f.cells.y0 + i * f.cell - 2);            // within its row's band
        REQUIRE(r.y1 <= f.cells.y0 + (i + 1) * f.cell + 2);
        const PixelRect& c = f.col_labels[i];
        REQUIRE(inked(c));
        REQUIRE(c.y1 <= f.cells.y0);                             // above the cells
        REQUIRE(c.x0 >= f.cells.x0 + i * f.cell - 2);            // within its column's band
        REQUIRE(c.x1 <= f.cells.x0 + (i + 1) * f.cell + 2);
    }
    // Turned a quarter: a long word is taller than it is wide above its column, wider than tall on its row.
    const PixelRect& row = f.row_labels[1];
    const PixelRect& col = f.col_labels[1];
    REQUIRE(row.x1 - row.x0 > row.y1 - row.y0);
    REQUIRE(col.y1 - col.y0 > col.x1 - col.x0);
    REQUIRE(col.y1 - col.y0 == row.x1 - row.x0);
    // The title is inked above the column labels.
    int labels_top = f.cells.y0;
    for (const PixelRect& c : f.col_labels) labels_top = std::min(labels_top, c.y0);
    REQUIRE_FALSE(blank(f, {0, 0, f.image.width, labels_top - 1}));
}

TEST_CASE("a figure cuts long labels and refuses labels that do not fit the matrix", "[figure]") {
    REQUIRE(std::filesystem::exists(attnscope::gui::latin_font_file()));  // scripts/setup.sh installs it
    const std::vector<std::string> labels = {std::string(40, 'a'), std::string(13, 'a') + "\u2026"};
    FigureStyle style;
    style.row_labels = &labels;
    const Figure f = heatmap_figure(Matrix::Zero(2, 1), style);
    REQUIRE(f.row_labels[0].x1 - f.row_labels[0].x0 == f.row_labels[1].x1 - f.row_labels[1].x0);
    const std::vector<std::string> three = {"a", "b", "c"};
    style.row_labels = &three;
    REQUIRE_THROWS_WITH(heatmap_figure(Matrix::Zero(2, 1), style), Catch::Contains("3 row labels for 2 rows"));
    REQUIRE_THROWS_AS(heatmap_figure(Matrix(0, 0), FigureStyle{}), attnscope::Error);
}
