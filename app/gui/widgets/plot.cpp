#include "gui/widgets/plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "gui/widgets/rotated_text.hpp"

namespace attnscope::gui {
namespace {

struct Range {
    double lo = 0, hi = 0;
    bool valid = false;
};

bool is_log(AxisScale scale) { return scale != AxisScale::Linear; }

bool usable(double v, AxisScale scale) { return std::isfinite(v) && (!is_log(scale) || v > 0); }

// Both log scales map through log10: they differ only in their ticks.
double to_axis(double v, AxisScale scale) { return is_log(scale) ? std::log10(v) : v; }

// The data range on one axis, padded so that end points do not sit on the frame.
Range axis_range(const PlotAxis& axis, const std::vector<PlotSeries>& series, const std::vector<PlotMarker>& markers,
                 const PlotAxis& other, bool is_x) {
    Range r{INFINITY, -INFINITY, false};
    auto take = [&](double v) {
        r.lo = std::min(r.lo, v), r.hi = std::max(r.hi, v), r.valid = true;
    };
    for (const PlotSeries& s : series)
        for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
            const double v = is_x ? s.x[i] : s.y[i], w = is_x ? s.y[i] : s.x[i];
            if (usable(v, axis.scale) && usable(w, other.scale)) take(v);
        }
    if (is_x)
        for (const PlotMarker& m : markers)
            if (usable(m.x, axis.scale)) take(m.x);
    const bool fixed_lo = usable(axis.min, axis.scale), fixed_hi = usable(axis.max, axis.scale);
    if (fixed_lo) r.lo = axis.min;
    if (fixed_hi) r.hi = axis.max;
    r.valid = r.valid || (fixed_lo && fixed_hi);
    if (!r.valid || !(r.hi >= r.lo)) return {0, 0, false};
    const bool log = is_log(axis.scale);
    double a = to_axis(r.lo, axis.scale), b = to_axis(r.hi, axis.scale);
    if (b - a < 1e-12) {  // one value: a unit (or a decade) around it
        const double half = log ? 0.5 : std::max(std::abs(a) * 0.5, 0.5);
        a -= half, b += half;
    } else {
        const double pad = 0.04 * (b - a);
        if (!fixed_lo) a -= pad;
        if (!fixed_hi) b += pad;
    }
    return log ? Range{std::pow(10.0, a), std::pow(10.0, b), true} : Range{a, b, true};
}

std::vector<double> linear_ticks(double lo, double hi, int max_ticks) {
    const double raw = (hi - lo) / std::max(1, max_ticks - 1);
    const double e = std::pow(10.0, std::floor(std::log10(raw)));
    const double f = raw / e;
    const double step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * e;
    std::vector<double> ticks;
    for (double i = std::ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; ++i)
        ticks.push_back(std::abs(i) < 0.5 ? 0.0 : i * step);  // an exact 0, never 1e-17
    return ticks;
}

std::string superscript(int e) {
    static constexpr const char* kDigits[] = {"⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"};
    std::string out = e < 0 ? "⁻" : "";
    for (char c : std::to_string(std::abs(e))) out += kDigits[c - '0'];
    return out;
}

bool overlaps(const ImVec2& a0, const ImVec2& a1, const ImVec2& b0, const ImVec2& b1) {
    return a0.x < b1.x && b0.x < a1.x && a0.y < b1.y && b0.y < a1.y;
}

// Screen mapping of the plot area.
struct Frame {
    ImVec2 p0, p1;
    Range x, y;
    AxisScale xs, ys;
    float sx(double v) const {
        const double a = to_axis(x.lo, xs), b = to_axis(x.hi, xs);
        return p0.x + static_cast<float>((to_axis(v, xs) - a) / (b - a)) * (p1.x - p0.x);
    }
    float sy(double v) const {
        const double a = to_axis(y.lo, ys), b = to_axis(y.hi, ys);
        return p1.y - static_cast<float>((to_axis(v, ys) - a) / (b - a)) * (p1.y - p0.y);
    }
    bool point_ok(double px, double py) const { return usable(px, xs) && usable(py, ys); }
};

ImU32 faded(ImU32 c, float alpha) {
    ImVec4 v = ImGui::ColorConvertU32ToFloat4(c);
    v.w *= alpha;
    return ImGui::ColorConvertFloat4ToU32(v);
}

void draw_grid_and_ticks(ImDrawList* dl, const Frame& f, const std::vector<double>& xt, const std::vector<double>& yt) {
    const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text), grid = faded(text, 0.16f), minor = faded(text, 0.07f);
    const float font = ImGui::GetFontSize();
    // Faint 2..9 lines between decades make a log axis read as one at a glance.
    auto minor_lines = [&](const Range& r, AxisScale s, bool vertical) {
        if (s != AxisScale::Log10 || std::log10(r.hi / r.lo) > 8) return;
        for (double e = std::floor(std::log10(r.lo)); e <= std::ceil(std::log10(r.hi)); ++e)
            for (int m = 2; m <= 9; ++m) {
                const double v = m * std::pow(10.0, e);
                if (v < r.lo || v > r.hi) continue;
                if (vertical) dl->AddLine(ImVec2(f.sx(v), f.p0.y), ImVec2(f.sx(v), f.p1.y), minor);
                else dl->AddLine(ImVec2(f.p0.x, f.sy(v)), ImVec2(f.p1.x, f.sy(v)), minor);
            }
    };
    minor_lines(f.x, f.xs, true);
    minor_lines(f.y, f.ys, false);
    for (double v : xt) {
        const float x = f.sx(v);
        dl->AddLine(ImVec2(x, f.p0.y), ImVec2(x, f.p1.y), grid);
        const std::string s = format_tick(v, f.xs);
        const float w = ImGui::CalcTextSize(s.c_str()).x;
        dl->AddText(ImVec2(x - w * 0.5f, f.p1.y + 4), text, s.c_str());
    }
    for (double v : yt) {
        const float y = f.sy(v);
        dl->AddLine(ImVec2(f.p0.x, y), ImVec2(f.p1.x, y), grid);
        const std::string s = format_tick(v, f.ys);
        const float w = ImGui::CalcTextSize(s.c_str()).x;
        dl->AddText(ImVec2(f.p0.x - 6 - w, y - font * 0.5f), text, s.c_str());
    }
    dl->AddRect(f.p0, f.p1, faded(text, 0.5f));
}

void draw_titles(ImDrawList* dl, const Frame& f, const PlotStyle& style, float left_edge) {
    const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text);
    const float font = ImGui::GetFontSize();
    if (!style.x.title.empty()) {
        const float w = ImGui::CalcTextSize(style.x.title.c_str()).x;
        dl->AddText(ImVec2((f.p0.x + f.p1.x - w) * 0.5f, f.p1.y + font + 8), text, style.x.title.c_str());
    }
    if (!style.y.title.empty()) {
        const float w = ImGui::CalcTextSize(style.y.title.c_str()).x;
        const ImVec2 pivot(left_edge, (f.p0.y + f.p1.y + w) * 0.5f);
        const int first = dl->VtxBuffer.Size;
        dl->AddText(pivot, text, style.y.title.c_str());
        rotate_to_vertical(dl, first, pivot);
    }
}

// Dashes of `dash` pixels with gaps of `gap`, continuing the pattern across the polyline's corners.
void dashed_polyline(ImDrawList* dl, const std::vector<ImVec2>& run, ImU32 color, float thickness, float dash = 7.0f,
                     float gap = 5.0f) {
    float phase = 0;  // distance into the current dash + gap period
    for (size_t i = 1; i < run.size(); ++i) {
        const ImVec2 a = run[i - 1], b = run[i];
        const float len = std::hypot(b.x - a.x, b.y - a.y);
        if (len <= 0) continue;
        for (float t = 0; t < len;) {
            const float left = phase < dash ? dash - phase : dash + gap - phase;
            const float step = std::min(left, len - t);
            if (phase < dash) {
                const float u0 = t / len, u1 = (t + step) / len;
                dl->AddLine(ImVec2(a.x + (b.x - a.x) * u0, a.y + (b.y - a.y) * u0),
                            ImVec2(a.x + (b.x - a.x) * u1, a.y + (b.y - a.y) * u1), color, thickness);
            }
            t += step;
            phase = std::fmod(phase + step, dash + gap);
        }
    }
}

void draw_series(ImDrawList* dl, const Frame& f, const PlotSeries& s, PlotPlacement::Series& drawn) {
    std::vector<ImVec2> run;  // a polyline breaks where a point cannot be drawn
    auto flush = [&] {
        if (s.lines && run.size() > 1) {
            if (s.dashed)
                dashed_polyline(dl, run, s.color, 2.0f);
            else
                dl->AddPolyline(run.data(), static_cast<int>(run.size()), s.color, 0, 2.0f);
        }
        run.clear();
    };
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
        if (!f.point_ok(s.x[i], s.y[i])) {
            flush();
            continue;
        }
        const ImVec2 p(f.sx(s.x[i]), f.sy(s.y[i]));
        run.push_back(p);
        drawn.points.push_back(p);
        if (s.markers) dl->AddCircleFilled(p, 3.0f, s.color);
    }
    flush();
}

// Dashed vertical lines; their labels stack downwards where they would overlap.
std::vector<std::pair<ImVec2, ImVec2>> draw_markers(ImDrawList* dl, const Frame& f, const std::vector<PlotMarker>& markers) {
    std::vector<std::pair<ImVec2, ImVec2>> placed;
    for (const PlotMarker& m : markers) {
        if (!usable(m.x, f.xs) || m.x < f.x.lo || m.x > f.x.hi) continue;
        const float x = f.sx(m.x);
        for (float y = f.p0.y; y < f.p1.y; y += 9.0f)
            dl->AddLine(ImVec2(x, y), ImVec2(x, std::min(y + 5.0f, f.p1.y)), m.color, 1.5f);
        if (m.label.empty()) continue;
        const ImVec2 size = ImGui::CalcTextSize(m.label.c_str());
        const bool right = x + 4 + size.x <= f.p1.x;
        ImVec2 a(right ? x + 4 : x - 4 - size.x, f.p0.y + 2);
        for (bool moved = true; moved;) {
            moved = false;
            for (const auto& r : placed)
                if (overlaps(a, ImVec2(a.x + size.x, a.y + size.y), r.first, r.second)) a.y = r.second.y + 1, moved = true;
        }
        const ImVec2 b(a.x + size.x, a.y + size.y);
        dl->AddRectFilled(ImVec2(a.x - 2, a.y), ImVec2(b.x + 2, b.y), faded(ImGui::GetColorU32(ImGuiCol_WindowBg), 0.8f));
        dl->AddText(a, m.color, m.label.c_str());
        placed.push_back({a, b});
    }
    return placed;
}

// The legend goes in the corner that hides the fewest points and marker labels.
void draw_legend(ImDrawList* dl, const Frame& f, const std::vector<PlotSeries>& series,
                 const std::vector<std::pair<ImVec2, ImVec2>>& labels) {
    const float font = ImGui::GetFontSize(), swatch = font * 1.4f, pad = 5.0f;
    float w = 0;
    int rows = 0;
    for (const PlotSeries& s : series)
        if (!s.name.empty() && s.in_legend) w = std::max(w, ImGui::CalcTextSize(s.name.c_str()).x), ++rows;
    if (rows == 0) return;
    const ImVec2 size(swatch + 6 + w + 2 * pad, rows * (font + 2) + 2 * pad);
    const ImVec2 corners[4] = {ImVec2(f.p1.x - size.x - 6, f.p0.y + 6), ImVec2(f.p0.x + 6, f.p0.y + 6),
                               ImVec2(f.p1.x - size.x - 6, f.p1.y - size.y - 6), ImVec2(f.p0.x + 6, f.p1.y - size.y - 6)};
    int best = 0, best_hidden = 1 << 30;
    for (int c = 0; c < 4; ++c) {
        const ImVec2 a = corners[c], b(a.x + size.x, a.y + size.y);
        int hidden = 0;
        for (const PlotSeries& s : series)
            for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i)
                if (f.point_ok(s.x[i], s.y[i])) {
                    const ImVec2 p(f.sx(s.x[i]), f.sy(s.y[i]));
                    hidden += p.x >= a.x && p.x <= b.x && p.y >= a.y && p.y <= b.y;
                }
        for (const auto& r : labels) hidden += overlaps(a, b, r.first, r.second) ? 1000 : 0;
        if (hidden < best_hidden) best = c, best_hidden = hidden;
    }
    const ImVec2 a = corners[best], b(a.x + size.x, a.y + size.y);
    dl->AddRectFilled(a, b, faded(ImGui::GetColorU32(ImGuiCol_WindowBg), 0.88f), 3.0f);
    dl->AddRect(a, b, faded(ImGui::GetColorU32(ImGuiCol_Text), 0.3f), 3.0f);
    float y = a.y + pad;
    for (const PlotSeries& s : series) {
        if (s.name.empty() || !s.in_legend) continue;
        const float mid = y + font * 0.5f;
        if (s.lines && s.dashed)
            dashed_polyline(dl, {ImVec2(a.x + pad, mid), ImVec2(a.x + pad + swatch, mid)}, s.color, 2.0f, 5.0f, 3.0f);
        else if (s.lines)
            dl->AddLine(ImVec2(a.x + pad, mid), ImVec2(a.x + pad + swatch, mid), s.color, 2.0f);
        if (s.markers) dl->AddCircleFilled(ImVec2(a.x + pad + swatch * 0.5f, mid), 3.0f, s.color);
        dl->AddText(ImVec2(a.x + pad + swatch + 6, y), ImGui::GetColorU32(ImGuiCol_Text), s.name.c_str());
        y += font + 2;
    }
}

PlotHit nearest_point(const Frame& f, const std::vector<PlotSeries>& series, ImVec2 mouse) {
    PlotHit hit;
    float best = INFINITY;
    for (size_t k = 0; k < series.size(); ++k) {
        const PlotSeries& s = series[k];
        for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
            if (!f.point_ok(s.x[i], s.y[i])) continue;
            const float dx = f.sx(s.x[i]) - mouse.x, dy = f.sy(s.y[i]) - mouse.y, d = dx * dx + dy * dy;
            if (d < best) best = d, hit.series = static_cast<int>(k), hit.point = static_cast<int>(i);
        }
    }
    return hit;
}

std::string tick_labels_widest(const std::vector<double>& ticks, AxisScale scale) {
    std::string widest;
    for (double v : ticks) {
        const std::string s = format_tick(v, scale);
        if (ImGui::CalcTextSize(s.c_str()).x > ImGui::CalcTextSize(widest.c_str()).x) widest = s;
    }
    return widest;
}

struct Placements {
    int frame = -1;
    std::vector<PlotPlacement> list;
};
Placements g_placements;

void record_placement(PlotPlacement p) {
    if (g_placements.frame != ImGui::GetFrameCount()) g_placements = {ImGui::GetFrameCount(), {}};
    g_placements.list.push_back(std::move(p));
}

}  // namespace

std::vector<PlotPlacement> plots_drawn_this_frame() {
    return g_placements.frame == ImGui::GetFrameCount() ? g_placements.list : std::vector<PlotPlacement>{};
}

std::vector<double> nice_ticks(double lo, double hi, AxisScale scale, int max_ticks) {
    max_ticks = std::max(max_ticks, 2);
    if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return {lo};
    if (scale == AxisScale::Linear) return linear_ticks(lo, hi, max_ticks);
    if (!(lo > 0)) return {};
    if (scale == AxisScale::Log2) {
        const int e0 = static_cast<int>(std::ceil(std::log2(lo) - 1e-9)), e1 = static_cast<int>(std::floor(std::log2(hi) + 1e-9));
        if (e1 >= e0 + 1) {
            const int every = std::max(1, (e1 - e0 + max_ticks) / max_ticks);
            std::vector<double> ticks;
            for (int e = e0; e <= e1; ++e)  // multiples of `every`: 2^10, 2^12, ... rather than 2^9, 2^11
                if ((e % every + every) % every == 0) ticks.push_back(std::ldexp(1.0, e));
            if (ticks.size() >= 2) return ticks;
        }
        return nice_ticks(lo, hi, AxisScale::Log10, max_ticks);  // less than two powers of two inside
    }
    const double e0 = std::floor(std::log10(lo)), e1 = std::ceil(std::log10(hi));
    std::vector<double> ticks;
    for (double e = e0; e <= e1; ++e)  // 1, 2, 5 per decade while they fit
        for (double m : {1.0, 2.0, 5.0})
            if (const double v = m * std::pow(10.0, e); v >= lo * (1 - 1e-12) && v <= hi * (1 + 1e-12)) ticks.push_back(v);
    // Within about a decade 1, 2, 5 leave too few: plain steps (0.2, 0.4, ...) read better.
    if (ticks.size() < 3 && std::log10(hi / lo) < 1.3) {
        std::vector<double> plain = linear_ticks(lo, hi, max_ticks);
        std::erase_if(plain, [](double v) { return v <= 0; });
        if (plain.size() > ticks.size()) return plain;
    }
    if (static_cast<int>(ticks.size()) <= max_ticks && ticks.size() >= 2) return ticks;
    ticks.clear();
    const int decades = static_cast<int>(e1 - e0) + 1;
    const int every = std::max(1, (decades + max_ticks - 1) / max_ticks);
    for (double e = std::ceil(std::ceil(std::log10(lo) - 1e-12) / every) * every; e <= std::log10(hi) + 1e-12; e += every)
        ticks.push_back(std::pow(10.0, e));
    if (ticks.size() >= 2) return ticks;
    return linear_ticks(lo, hi, max_ticks);  // less than a decade with no 1, 2 or 5 inside
}

std::string format_tick(double v, AxisScale scale) {
    if (v == 0) return "0";
    const double a = std::abs(v);
    if (scale == AxisScale::Log2 && a >= 1e5) {
        int e = 0;
        if (std::frexp(a, &e) == 0.5) return std::string(v < 0 ? "-" : "") + "2" + superscript(e - 1);
    }
    char buf[32];
    if (a >= 1e-3 && a < 1e5) {
        std::snprintf(buf, sizeof buf, "%.6g", v);
        return buf;
    }
    int e = static_cast<int>(std::floor(std::log10(a)));
    double m = v / std::pow(10.0, e);
    if (std::abs(m) >= 9.995) m /= 10, ++e;  // 9.999e4 prints as 1·10⁵, not 10·10⁴
    std::snprintf(buf, sizeof buf, "%.3g", m);
    const std::string mantissa = buf;
    if (mantissa == "1") return "10" + superscript(e);
    if (mantissa == "-1") return "-10" + superscript(e);
    return mantissa + "·10" + superscript(e);
}

PlotHit draw_plot(const char* id, const std::vector<PlotSeries>& series, const PlotStyle& style,
                  const std::vector<PlotMarker>& markers) {
    const float font = ImGui::GetFontSize();
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const ImVec2 size(style.size.x > 0 ? style.size.x : std::max(avail.x, 12 * font),
                      style.size.y > 0 ? style.size.y : std::max(avail.y, 9 * font));
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    ImGui::PushID(id);
    ImGui::InvisibleButton("plot", size);
    const bool hovered = ImGui::IsItemHovered();
    ImGui::PopID();
    ImDrawList* dl = ImGui::GetWindowDrawList();

    Frame f;
    f.xs = style.x.scale, f.ys = style.y.scale;
    f.x = axis_range(style.x, series, markers, style.y, true);
    f.y = axis_range(style.y, series, {}, style.x, false);
    if (!f.x.valid || !f.y.valid) {
        dl->AddRect(origin, ImVec2(origin.x + size.x, origin.y + size.y), ImGui::GetColorU32(ImGuiCol_Border));
        dl->AddText(ImVec2(origin.x + font, origin.y + font), ImGui::GetColorU32(ImGuiCol_TextDisabled), "(nothing to plot)");
        return {};
    }
    const float title_w = style.y.title.empty() ? 0.0f : font + 6;
    const float bottom = font + 8 + (style.x.title.empty() ? 0.0f : font + 4);
    const std::vector<double> yt = nice_ticks(f.y.lo, f.y.hi, f.ys, std::max(2, static_cast<int>((size.y - bottom) / (2.2f * font))));
    const float left = title_w + ImGui::CalcTextSize(tick_labels_widest(yt, f.ys).c_str()).x + 10;
    const std::vector<double> xt = nice_ticks(f.x.lo, f.x.hi, f.xs, std::max(2, static_cast<int>((size.x - left) / (4.5f * font))));
    const float right = ImGui::CalcTextSize(tick_labels_widest(xt, f.xs).c_str()).x * 0.5f + 4;
    f.p0 = ImVec2(origin.x + left, origin.y + font * 0.5f);
    f.p1 = ImVec2(origin.x + size.x - right, origin.y + size.y - bottom);
    if (f.p1.x - f.p0.x < 8 || f.p1.y - f.p0.y < 8) return {};

    dl->AddRectFilled(f.p0, f.p1, faded(ImGui::GetColorU32(ImGuiCol_FrameBg), 0.6f));
    draw_grid_and_ticks(dl, f, xt, yt);
    draw_titles(dl, f, style, origin.x);
    dl->PushClipRect(f.p0, f.p1, true);
    PlotPlacement placed{id, f.p0.x, f.p0.y, f.p1.x, f.p1.y, f.x.lo, f.x.hi, f.y.lo, f.y.hi, f.xs, f.ys, {}};
    for (const PlotSeries& s : series) {
        placed.series.push_back({s.name, s.color, s.dashed, {}});
        draw_series(dl, f, s, placed.series.back());
    }
    record_placement(std::move(placed));
    const auto labels = draw_markers(dl, f, markers);
    if (style.legend) draw_legend(dl, f, series, labels);
    PlotHit hit;
    const ImVec2 mouse = ImGui::GetIO().MousePos;
    if (hovered && mouse.x >= f.p0.x && mouse.x <= f.p1.x && mouse.y >= f.p0.y && mouse.y <= f.p1.y)
        hit = nearest_point(f, series, mouse);
    if (hit.hovered()) {
        const PlotSeries& s = series[hit.series];
        dl->AddCircle(ImVec2(f.sx(s.x[hit.point]), f.sy(s.y[hit.point])), 6.0f, ImGui::GetColorU32(ImGuiCol_Text), 0, 2.0f);
        if (static_cast<size_t>(hit.point) < s.hover.size())
            ImGui::SetTooltip("%s", s.hover[hit.point].c_str());
        else
            ImGui::SetTooltip("%s\nx = %.4g\ny = %.4g", s.name.c_str(), s.x[hit.point], s.y[hit.point]);
    }
    dl->PopClipRect();
    return hit;
}

}  // namespace attnscope::gui
