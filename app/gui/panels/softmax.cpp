// Softmax panel: the selected head's attention row for the selected query as bars over
// the keys, with each key's logit, the row's entropy and its largest weight. The
// temperature slider re-runs the whole trace, so the bars reshape live.
#include "gui/panels/softmax.hpp"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "attnscope/aggregates.hpp"
#include "gui/formulas.hpp"
#include "gui/widgets/texts_drawn.hpp"
#include "gui/widgets/tones.hpp"
#include "gui/widgets/flow.hpp"
#include "gui/widgets/rotated_text.hpp"

namespace attnscope::gui {
namespace {

constexpr ImU32 kBarColor = IM_COL32(86, 148, 226, 255);
constexpr ImU32 kMaxBarColor = IM_COL32(255, 140, 50, 255);
constexpr ImU32 kQueryColor = IM_COL32(255, 120, 60, 255);  // as the heatmaps mark the selected query

// A token inside a printf format (ImGui slider formats): '%' must be doubled.
std::string format_safe(const std::string& s) {
    std::string out;
    for (char c : s) out += c == '%' ? std::string("%%") : std::string(1, c);
    return out;
}

std::string abbreviate(const std::string& s, float max_width) {
    if (ImGui::CalcTextSize(s.c_str()).x <= max_width) return s;
    std::string out = s;
    while (!out.empty() && ImGui::CalcTextSize((out + ".").c_str()).x > max_width) {
        out.pop_back();
        while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();  // UTF-8
    }
    return out.empty() ? out : out + ".";
}

// Digits after the point so that every number fits a bar's width; -1: none fits.
// How the numbers above or below the bars are written: `decimals` places, weights without their
// leading zero (".04") when that is what fits; decimals -1: they do not fit, the hover has them.
struct BarNumbers {
    int decimals = -1;
    bool drop_zero = false;
    std::string format(double v) const {
        char buf[24];
        std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
        std::string s = buf;
        const std::size_t sign = s[0] == '-' ? 1 : 0;
        if (drop_zero && s.compare(sign, 2, "0.") == 0) s.erase(sign, 1);
        return s;
    }
};

// The first way of writing every value that fits `width`: two decimals, then (weights) ".04", then
// (logits, which stay meaningful at one decimal) "-1.6". Never weights at one decimal: "0.0" for 0.04.
BarNumbers numbers_that_fit(const std::vector<double>& values, float width, bool weights) {
    const std::vector<BarNumbers> tries =
        weights ? std::vector<BarNumbers>{{2, false}, {2, true}} : std::vector<BarNumbers>{{2, false}, {1, false}};
    for (const BarNumbers& f : tries) {
        bool fits = true;
        for (double v : values) fits = fits && (!std::isfinite(v) || ImGui::CalcTextSize(f.format(v).c_str()).x + 4 <= width);
        if (fits) return f;
    }
    return {};
}

Edits draw_selectors(const Trace& t, const Selection& sel, SoftmaxPanelState& state) {
    Edits out;
    const float font = ImGui::GetFontSize(), avail = ImGui::GetContentRegionAvail().x;
    // Narrow windows get narrower sliders, so that the bars keep their room.
    const float head_w = std::min(font * 5, avail * 0.18f), query_w = std::min(font * 9, avail * 0.36f),
                temperature_w = std::min(font * 8, avail * 0.4f);
    if (t.inputs.heads > 1) {
        int head = sel.head;
        ImGui::SetNextItemWidth(head_w);
        if (ImGui::SliderInt("head", &head, 0, t.inputs.heads - 1)) out.head = head;
        same_line_if_fits(query_w + ImGui::CalcTextSize("query").x);
    }
    int query = sel.query;
    const std::string format = "%d  " + format_safe(t.query.tokens[sel.query]);
    ImGui::SetNextItemWidth(query_w);
    if (ImGui::SliderInt("query", &query, 0, t.n() - 1, format.c_str())) out.query = query;
    same_line_if_fits(temperature_w + ImGui::CalcTextSize("temperature").x);
    float temperature = static_cast<float>(t.inputs.temperature);
    ImGui::SetNextItemWidth(temperature_w);
    ImGui::BeginDisabled(t.has_model());  // a model's softmax has no temperature: the slider would spring back
    if (ImGui::SliderFloat("temperature", &temperature, 0.05f, 10.0f, "%.2f", ImGuiSliderFlags_Logarithmic)) {
        Inputs next = t.inputs;
        next.temperature = temperature;
        out.inputs = next;
    }
    ImGui::EndDisabled();
    if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
        ImGui::SetTooltip(t.has_model() ? "A model's attention has no temperature (its softmax divides by sqrt(d_head) "
                                          "only); T applies to the built-in engine."
                                        : "T divides the logits: T < 1 sharpens the distribution, T > 1 flattens it "
                                          "toward uniform.");
    same_line_if_fits(font * 5);
    ImGui::Checkbox("sorted", &state.sorted);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Bars by weight, largest first.");
    return out;
}

void draw_stats(const Trace& t, const RowStats& st) {
    const double most = std::log2(static_cast<double>(st.unmasked));
    if (st.distribution) {
        ImGui::TextWrapped("entropy %.3f bits (max log2 %d = %.3f), 2^H = %.1f keys", st.entropy_bits, st.unmasked,
                           most, std::exp2(st.entropy_bits));
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("H = -sum p log2 p over the unmasked keys. It is 0 when one key takes all the weight and\n"
                              "log2(unmasked keys) when the weight is uniform; 2^H counts the keys it is spread over.");
    } else {
        char line[160];
        std::snprintf(line, sizeof line, "row sum %.4g, smallest weight %.4g: not a probability distribution, so no entropy",
                      st.sum, st.min_weight);
        ImGui::TextWrapped("%s", line);
        note_text("softmax", line);
    }
    ImGui::TextWrapped("max weight %.3f on '%s' (key %d)%s", st.max_weight, t.keys.tokens[st.argmax].c_str(), st.argmax,
                       st.unmasked < t.m() ? ("; " + std::to_string(t.m() - st.unmasked) + " masked").c_str() : "");
}

// The y axis top: a round number just above the largest weight, so small weights stay visible.
double axis_top(double max_weight) {
    for (double v : {0.02, 0.04, 0.1, 0.2, 0.4, 0.6, 0.8})
        if (max_weight <= v) return v;
    return 1.0;
}

struct Chart {
    ImVec2 plot0, plot1;        // the bars' area
    float bar_w = 0.0f;         // one key's slot
    float labels_top = 0.0f;    // key labels, then logits, below the plot
    float logits_top = 0.0f;
    bool rotated = false;
    BarNumbers logit_numbers, weight_numbers;  // how (and whether) the numbers under/above the bars are written
    double top = 1.0;           // weight at plot0.y
    double bottom = 0.0;        // weight at plot1.y: below 0 only for a low-rank variant's negative weights
    std::vector<int> order;     // key shown in each slot
};

Chart layout_chart(const Trace& t, const HeadTrace& h, int q, const RowStats& st, bool sorted,
                   const std::vector<double>& weights) {
    Chart c;
    const float font = ImGui::GetFontSize();
    const int m = t.m();
    const ImVec2 origin = ImGui::GetCursorScreenPos(), avail = ImGui::GetContentRegionAvail();
    const float axis_w = ImGui::CalcTextSize("0.25").x + 8;
    const float height = std::max(avail.y - font * 4.6f, font * 8);  // leaves the stats and a hint below
    c.bar_w = std::max(avail.x - axis_w - 4, 32.0f) / m;
    float widest = 0.0f;
    for (const std::string& s : t.keys.tokens) widest = std::max(widest, ImGui::CalcTextSize(s.c_str()).x);
    c.rotated = widest + 4 > c.bar_w;
    const float label_h = c.rotated ? std::min(widest, std::min(font * 5, height * 0.25f)) + 6 : font + 4;
    const Eigen::VectorXd logit_row = h.logits.row(q).transpose();
    c.logit_numbers = numbers_that_fit(std::vector<double>(logit_row.data(), logit_row.data() + m), c.bar_w, false);
    c.weight_numbers = numbers_that_fit(weights, c.bar_w, true);
    const bool logits = c.logit_numbers.decimals >= 0;
    c.plot0 = ImVec2(origin.x + axis_w, origin.y + font * 0.6f);
    c.plot1 = ImVec2(c.plot0.x + c.bar_w * m, origin.y + height - label_h - (logits ? font + 4 : 0));
    c.labels_top = c.plot1.y + 3;
    c.logits_top = c.labels_top + label_h;
    c.top = axis_top(st.max_weight);
    if (st.min_weight < 0) c.bottom = -axis_top(-st.min_weight);
    c.order.resize(m);
    std::iota(c.order.begin(), c.order.end(), 0);
    if (sorted) std::stable_sort(c.order.begin(), c.order.end(), [&](int a, int b) { return weights[a] > weights[b]; });
    return c;
}

float weight_y(const Chart& c, double w) {
    return c.plot1.y - static_cast<float>((w - c.bottom) / (c.top - c.bottom)) * (c.plot1.y - c.plot0.y);
}

void draw_axis(ImDrawList* dl, const Chart& c, const RowStats& st) {
    const ImU32 grid = ImGui::GetColorU32(ImGuiCol_Text, 0.15f), text = ImGui::GetColorU32(ImGuiCol_TextDisabled);
    std::vector<double> ticks = {0.0, c.top / 2, c.top};
    if (c.bottom < 0) ticks.push_back(c.bottom);
    for (double v : ticks) {
        const float y = weight_y(c, v);
        dl->AddLine(ImVec2(c.plot0.x, y), ImVec2(c.plot1.x, y), grid);
        char buf[16];
        std::snprintf(buf, sizeof buf, "%.2g", v);
        dl->AddText(ImVec2(c.plot0.x - 6 - ImGui::CalcTextSize(buf).x, y - ImGui::GetFontSize() * 0.5f), text, buf);
    }
    if (c.logit_numbers.decimals >= 0) dl->AddText(ImVec2(c.plot0.x - ImGui::CalcTextSize("logit").x - 6, c.logits_top), text, "logit");
    if (!st.distribution) return;
    // Uniform attention, the reference the entropy is measured against.
    const float y = weight_y(c, 1.0 / st.unmasked);
    const ImU32 dash = ImGui::GetColorU32(ImGuiCol_Text, 0.45f);
    for (float x = c.plot0.x; x < c.plot1.x; x += 8) dl->AddLine(ImVec2(x, y), ImVec2(std::min(x + 4, c.plot1.x), y), dash);
}

void draw_bars(ImDrawList* dl, const Trace& t, const HeadTrace& h, int q, const Chart& c, const RowStats& st, int hovered) {
    const float gap = c.bar_w >= 5 ? c.bar_w * 0.15f : 0.0f;
    for (int slot = 0; slot < static_cast<int>(c.order.size()); ++slot) {
        const int j = c.order[slot];
        const float x0 = c.plot0.x + slot * c.bar_w + gap * 0.5f, x1 = x0 + c.bar_w - gap;
        if (slot == hovered) dl->AddRectFilled(ImVec2(x0 - gap * 0.5f, c.plot0.y), ImVec2(x1 + gap * 0.5f, c.plot1.y),
                                               ImGui::GetColorU32(ImGuiCol_Text, 0.08f));
        if (!t.allowed(q, j)) {
            draw_masked_hatch(dl, ImVec2(x0, c.plot0.y), ImVec2(x1, c.plot1.y));
            continue;
        }
        const double w = h.attention(q, j);
        const float y = weight_y(c, w), zero = weight_y(c, 0.0);
        dl->AddRectFilled(ImVec2(x0, std::min(y, zero - 1)), ImVec2(x1, std::max(y, zero)), j == st.argmax ? kMaxBarColor : kBarColor);
        if (c.weight_numbers.decimals >= 0) {
            const std::string number = c.weight_numbers.format(w);
            const float tw = ImGui::CalcTextSize(number.c_str()).x;
            dl->AddText(ImVec2((x0 + x1 - tw) * 0.5f, std::min(y, zero) - ImGui::GetFontSize() - 1),
                        ImGui::GetColorU32(ImGuiCol_Text), number.c_str());
        }
    }
}

void draw_labels(ImDrawList* dl, const Trace& t, const HeadTrace& h, int q, const Chart& c) {
    const float font = ImGui::GetFontSize();
    const int step = c.rotated ? std::max(1, static_cast<int>(std::ceil(font / c.bar_w))) : 1;
    const float room = c.rotated ? c.logits_top - c.labels_top - 6 : c.bar_w - 4;
    for (int slot = 0; slot < static_cast<int>(c.order.size()); slot += step) {
        const int j = c.order[slot];
        const float mid = c.plot0.x + (slot + 0.5f) * c.bar_w;
        const ImU32 color = !t.allowed(q, j) ? ImGui::GetColorU32(ImGuiCol_TextDisabled)
                            : (!t.cross && j == q) ? kQueryColor
                                                   : ImGui::GetColorU32(ImGuiCol_Text);
        const std::string s = abbreviate(t.keys.tokens[j], room);
        if (c.rotated)
            add_vertical_text(dl, mid - font * 0.5f, c.labels_top, color, s);
        else
            dl->AddText(ImVec2(mid - ImGui::CalcTextSize(s.c_str()).x * 0.5f, c.labels_top), color, s.c_str());
        if (c.logit_numbers.decimals < 0) continue;
        const std::string logit = t.allowed(q, j) ? c.logit_numbers.format(h.logits(q, j)) : "-inf";
        dl->AddText(ImVec2(mid - ImGui::CalcTextSize(logit.c_str()).x * 0.5f, c.logits_top),
                    ImGui::GetColorU32(ImGuiCol_TextDisabled), logit.c_str());
    }
}

// Bars, labels and logits; returns the hovered key or -1.
int draw_chart(const Trace& t, const HeadTrace& h, int q, const RowStats& st, bool sorted) {
    std::vector<double> weights(t.m());
    for (int j = 0; j < t.m(); ++j) weights[j] = t.allowed(q, j) ? h.attention(q, j) : -1.0;  // masked sort last
    const Chart c = layout_chart(t, h, q, st, sorted, weights);
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const float bottom = c.logit_numbers.decimals >= 0 ? c.logits_top + ImGui::GetFontSize() + 2 : c.logits_top;
    ImGui::SetCursorScreenPos(ImVec2(c.plot0.x, c.plot0.y));
    ImGui::InvisibleButton("bars", ImVec2(c.plot1.x - c.plot0.x, bottom - c.plot0.y));
    int slot = -1;
    if (ImGui::IsItemHovered())
        slot = std::clamp(static_cast<int>((ImGui::GetIO().MousePos.x - c.plot0.x) / c.bar_w), 0, t.m() - 1);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    draw_axis(dl, c, st);
    draw_bars(dl, t, h, q, c, st, slot);
    draw_labels(dl, t, h, q, c);
    ImGui::SetCursorScreenPos(ImVec2(origin.x, bottom + 2));
    ImGui::Dummy(ImVec2(0, 0));
    return slot < 0 ? -1 : c.order[slot];
}

}  // namespace

Edits draw_softmax_panel(const Trace& t, const Selection& sel, SoftmaxPanelState& state) {
    const LayerTrace& layer = t.layer(sel.layer);
    Edits out = draw_selectors(t, sel, state);
    const HeadTrace& h = layer.heads[sel.head];
    const int q = sel.query;
    const RowStats st = row_stats(h.attention, t.allowed, q);
    if (st.unmasked == 0) {
        ImGui::TextWrapped("Every key is masked for query %d '%s': all its logits are -inf, so its weights are all 0 "
                           "and there is no distribution to show. Choose another query or mask.",
                           q, t.query.tokens[q].c_str());
        return out;
    }
    if (const char* formula = effective_weights_formula(t.inputs.variant.kind); *formula) {
        ImGui::PushStyleColor(ImGuiCol_Text, tone(Tone::Accent));
        const std::string note = std::string(name(t.inputs.variant.kind)) +
                                 " is active: these bars are its effective weights, not a softmax: " + formula +
                                 ". They can be negative, and a row need not sum to 1. The logits below are exact "
                                 "attention's.";
        ImGui::TextWrapped("%s", note.c_str());
        note_text("softmax", note);
        ImGui::PopStyleColor();
    }
    const int key = draw_chart(t, h, q, st, state.sorted);
    draw_stats(t, st);
    ImGui::TextDisabled("Head %d, query %d '%s'.%s%s Hover a bar for its formula.", sel.head, q, t.query.tokens[q].c_str(),
                        st.distribution ? (" Dashed: uniform 1/" + std::to_string(st.unmasked) + ".").c_str() : "",
                        st.unmasked < t.m() ? " Hatched: masked, weight 0." : "");
    if (key >= 0) ImGui::SetTooltip("%s", explain_cell(t, layer, CellStage::Weight, sel.head, q, key).c_str());
    return out;
}

}  // namespace attnscope::gui
