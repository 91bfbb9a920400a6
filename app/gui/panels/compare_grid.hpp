#pragma once
// The Compare panel's pieces shared by its files (compare.cpp: the grid of maps; compare_headers.cpp:
// the columns' headers; compare_metrics.cpp: the metrics table and the spectrum). Not for other panels.
#include <imgui.h>

#include <string>
#include <vector>

#include "gui/panels/compare.hpp"

namespace attnscope::gui::compare {

// Each column's colour: its header, its metrics column and its marker on the spectrum.
inline constexpr ImU32 kColumnColors[kMaxCompared] = {IM_COL32(255, 150, 60, 255), IM_COL32(90, 200, 255, 255),
                                               IM_COL32(240, 110, 210, 255)};
inline constexpr ImU32 kSpectrumColor = IM_COL32(110, 205, 120, 255);

// What "+ add variant" offers next: the default line-up first, then the rest.
inline constexpr VariantKind kAddOrder[] = {VariantKind::Local,     VariantKind::BigBird, VariantKind::Linformer,
                                     VariantKind::TopK,      VariantKind::Nystrom, VariantKind::Performer,
                                     VariantKind::Svd,       VariantKind::Strided, VariantKind::Fixed};

// Low-rank effective matrices need not be distributions, and one variant's wild values (an
// ill-conditioned Nystrom inverse reaches hundreds) would flatten every other map: past these
// ends the shared scales stop, and the legend says so.
inline constexpr double kScaleFloor = -1.0, kScaleCeiling = 2.0, kDifferenceLimit = 2.0;
// Differences smaller than this are rounding, not approximation: never stretch them to full colour.
inline constexpr double kDifferenceFloor = 0.01;

// One variant column as this frame draws it.
struct Column {
    int index = 0;
    const ComparedRun* run = nullptr;
    const Trace* trace = nullptr;     // nullptr: the variant cannot run here (run->error says why)
    const HeadTrace* head = nullptr;  // head h of trace
    const Matrix* difference = nullptr;  // (n, m) variant - exact weights
    Matrix pattern;                   // (n, m) 1 kept, 0 dropped; sparse variants only
};

struct Scales {
    double lo = 0, hi = 1;  // the weights, shared by every map in row 1
    double r = 1;           // the differences: -r..r, shared by row 3
    std::string note;       // why the weights' scale is not 0..1; empty when it is
    bool difference_clipped = false;
};

// Everything the grid's cells need.
struct Grid {
    const Trace& exact;
    const std::vector<Column>& cols;
    const Selection& sel;
    int h;
    ComparePanelState& state;
    Scales scales;
    float cell = 12.0f;          // pixels per matrix cell, the same in every map so that columns line up
    bool labels_every_row = true;
    std::vector<VariantParams> lineup;  // edited by the headers; handed back when it changed
    int remove = -1;                    // a column whose remove button was pressed
    Edits out;
};


std::string format(const char* f, double v);
std::string si(double v, const char* unit = "");  // 52528 -> "52.5k"
std::string ratio(double a, double b);
std::string shape(long long r, long long c);

// compare_headers.cpp: a variant column's header (kind, sliders, cost; edits g.lineup in place), the
// exact column's (with the weights' legend), the panel with no variant yet, and a variant's
// parameters clamped to their sliders' ranges at n queries and m keys.
void draw_variant_header(Grid& g, const Column& c);
void draw_exact_header(Grid& g);
void draw_empty_state(Grid& g);
void clamp_to_sliders(VariantParams& v, int n, int m);

// The metrics table (one column per variant) and the exact weights' spectrum with each variant's rank.
void draw_metrics(const Grid& g);
void draw_spectrum(const Grid& g);

}  // namespace attnscope::gui::compare
