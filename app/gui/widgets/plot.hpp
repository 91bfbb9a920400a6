#pragma once
// A small 2-D plot drawn with ImDrawList: series as lines and/or markers, linear or log10
// axes (each on its own), "nice" ticks (1, 2, 5 x 10^k), axis titles, a legend, labelled
// vertical marker lines and a hover readout of the nearest point.
// It keeps no state: everything shown comes from this frame's arguments.
#include <imgui.h>

#include <limits>
#include <string>
#include <vector>

namespace attnscope::gui {

enum class AxisScale { Linear, Log10 };

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

// Tick positions for [lo, hi]: multiples of 1, 2 or 5 x 10^k on a linear axis; on a log axis
// the decades, with 2 and 5 between them when the range is short. At most about max_ticks.
std::vector<double> nice_ticks(double lo, double hi, AxisScale scale, int max_ticks);
// A tick label: plain for 0.001 .. 99999, else "2·10⁻⁵" (superscript exponent).
std::string format_tick(double v);

}  // namespace attnscope::gui
