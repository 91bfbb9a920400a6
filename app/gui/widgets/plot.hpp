#pragma once
// A small 2-D plot drawn with ImDrawList: series as solid or dashed lines and/or markers,
// linear, log10 or log2 axes (each on its own), "nice" ticks (1, 2, 5 x 10^k; powers of two on
// a log2 axis), axis titles, a legend, labelled vertical marker lines and a hover readout of the
// nearest point. It keeps no state: everything shown comes from this frame's arguments; what was
// drawn is recorded for tests (plots_drawn_this_frame).
#include <imgui.h>

#include <limits>
#include <string>
#include <vector>

namespace attnscope::gui {

// Log2 is a log axis ticked at powers of two (sequence lengths); Log10 at 1, 2, 5 x 10^k.
enum class AxisScale { Linear, Log10, Log2 };

struct PlotAxis {
    std::string title;
    AxisScale scale = AxisScale::Linear;
    // A fixed range; NaN takes that end from the data (and the markers, for x).
    double min = std::numeric_limits<double>::quiet_NaN();
    double max = std::numeric_limits<double>::quiet_NaN();
};

struct PlotSeries {
    std::string name;          // in the legend and the hover readout
    std::vector<double> x, y;  // same length; non-finite points, and non-positive ones on a log axis, are skipped
    ImU32 color = IM_COL32(90, 170, 255, 255);
    bool lines = true, markers = true;
    bool dashed = false;              // dashed lines (e.g. a model beside measurements)
    bool in_legend = true;            // false: named (hover, tests) but not listed in the legend
    std::vector<std::string> hover;   // per point: the hover readout; empty: name, x and y
};

// A vertical line across the plot at x, with its label at the top.
struct PlotMarker {
    double x = 0;
    std::string label;
    ImU32 color = IM_COL32(255, 160, 60, 255);
};

struct PlotStyle {
    PlotAxis x, y;
    ImVec2 size{0.0f, 0.0f};  // <= 0: the available width / height (at least a readable minimum)
    bool legend = true;
};

struct PlotHit {
    int series = -1, point = -1;  // the point nearest the mouse, or -1
    bool hovered() const { return series >= 0; }
};

PlotHit draw_plot(const char* id, const std::vector<PlotSeries>& series, const PlotStyle& style,
                  const std::vector<PlotMarker>& markers = {});

// Tick positions for [lo, hi]: multiples of 1, 2 or 5 x 10^k on a linear axis; on a log10 axis
// the decades, with 2 and 5 between them when the range is short; on a log2 axis powers of two,
// every second, third, ... when they do not fit. At most about max_ticks.
std::vector<double> nice_ticks(double lo, double hi, AxisScale scale, int max_ticks);
// A tick label: plain for 0.001 .. 99999, else "2·10⁻⁵" (superscript exponent); on a log2
// axis, powers of two from 2^17 up as "2¹⁷".
std::string format_tick(double v, AxisScale scale = AxisScale::Linear);

// Where the last frame drew each plot, in screen pixels (times the framebuffer scale for PNGs):
// the plot area, its axis ranges, and each series' points as drawn (points off the axes left out).
struct PlotPlacement {
    struct Series {
        std::string name;
        ImU32 color = 0;
        bool dashed = false;
        std::vector<ImVec2> points;
    };
    std::string id;
    float x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    double x_lo = 0, x_hi = 0, y_lo = 0, y_hi = 0;
    AxisScale x_scale = AxisScale::Linear, y_scale = AxisScale::Linear;
    std::vector<Series> series;
};
std::vector<PlotPlacement> plots_drawn_this_frame();

}  // namespace attnscope::gui
