#pragma once
// Images of a matrix, drawn on the CPU so that they need no window: the bare cells (one square
// block of pixels per cell), and a figure ready for a paper: a title, the tokens along both axes
// and a colour bar with its scale. Text is drawn with the fonts the GUI uses (DejaVu Sans, with
// WenQuanYi Micro Hei for CJK).
#include <string>
#include <vector>

#include "attnscope/matrix.hpp"
#include "gui/colormap.hpp"

namespace attnscope::gui {

struct RgbaImage {
    int width = 0, height = 0;
    std::vector<unsigned char> rgba;  // rows top first
    Rgb at(int x, int y) const;
};

// The matrix through a colormap, one square block of pixels per cell (nearest neighbour), at
// least `min_width` pixels wide where the height allows (at most 8192 pixels tall); non-finite
// (masked) cells are kMaskedColor. Throws attnscope::Error for an empty matrix.
RgbaImage matrix_image(const Matrix& m, Colormap map, double lo, double hi, int min_width = 512);

struct FigureStyle {
    Colormap map = Colormap::Viridis;
    double lo = 0, hi = 1;                               // the colour bar's ends
    const std::vector<std::string>* row_labels = nullptr;  // one per row, or null
    const std::vector<std::string>* col_labels = nullptr;  // one per column, or null
    std::string title;                                   // above the matrix; empty: none
};

struct PixelRect {
    int x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // x1, y1 one past the last pixel
};

// Where heatmap_figure put things, for tests and for anyone placing the image.
struct Figure {
    RgbaImage image;
    PixelRect cells;     // the matrix: rows x cols blocks of `cell` pixels
    PixelRect colorbar;  // hi at the top, lo at the bottom
    int cell = 0;        // pixels per cell side
    std::vector<PixelRect> row_labels, col_labels;  // each label's ink box (empty boxes where no ink)
    bool masked = false;  // a "masked" swatch is drawn below the colour bar
};

// A white figure: the title, column labels rotated to read upwards above the columns, row labels
// right-aligned left of the rows, the cells, and a colour bar with lo, the middle and hi. Labels
// longer than about 14 characters are cut with "…". Throws attnscope::Error for an empty matrix or
// labels that do not match its size.
Figure heatmap_figure(const Matrix& m, const FigureStyle& style);

}  // namespace attnscope::gui
