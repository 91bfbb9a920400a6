// The Compare panel's metrics table and the exact weights' spectrum (see compare_grid.hpp).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "gui/panels/compare_grid.hpp"
#include "gui/widgets/plot.hpp"

namespace attnscope::gui::compare {

std::string format(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

std::string si(double v, const char* unit) {
    constexpr const char* kPrefixes[] = {"", "k", "M", "G", "T"};
    int p = 0;
    while (std::abs(v) >= 1000 && p < 4) v /= 1000, ++p;
    return format("%.3g", v) + (*unit ? " " : "") + kPrefixes[p] + unit;
}

std::string ratio(double a, double b) { return b > 0 ? format("%.2f", a / b) + "×" : "?"; }

std::string shape(long long r, long long c) { return std::to_string(r) + "×" + std::to_string(c); }


namespace {

struct MetricCell {
    std::string text;
    bool dim = false;
};

template <typename Value>
void metric_row(const std::string& label, const char* help, const std::vector<Column>& cols, Value value) {
    ImGui::TableNextRow();
    ImGui::TableSetColumnIndex(0);
    ImGui::TextUnformatted(label.c_str());
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", help);
    for (const Column& c : cols) {
        ImGui::TableSetColumnIndex(c.index + 1);
        const MetricCell v = c.head ? value(c) : MetricCell{"-", true};
        if (v.dim) ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
        ImGui::TextWrapped("%s", v.text.c_str());
        if (v.dim) ImGui::PopStyleColor();
    }
}

MetricCell number(double v) {
    return std::isnan(v) ? MetricCell{"n/a (not a distribution)", true} : MetricCell{format("%.3g", v)};
}


}  // namespace

void draw_metrics(const Grid& g) {
    const std::vector<Column>& cols = g.cols;
    const int q = std::clamp(g.sel.query, 0, g.exact.n() - 1);
    ImGui::Text("Metrics, head %d", g.h);
    if (cols.empty()) {
        ImGui::TextDisabled("Add a variant to compare.");
        return;
    }
    const ImGuiTableFlags flags = ImGuiTableFlags_BordersInnerH | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp;
    if (!ImGui::BeginTable("metrics", 1 + static_cast<int>(cols.size()), flags)) return;
    ImGui::TableSetupColumn("metric", ImGuiTableColumnFlags_WidthFixed, ImGui::CalcTextSize("attention error").x);
    for (const Column& c : cols) ImGui::TableSetupColumn(name(c.run->variant.kind), ImGuiTableColumnFlags_WidthStretch, 1.0f);
    ImGui::TableNextRow(ImGuiTableRowFlags_Headers);
    ImGui::TableSetColumnIndex(0);
    ImGui::TextDisabled("metric");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Hover a metric's name for what it measures.");
    for (const Column& c : cols) {
        ImGui::TableSetColumnIndex(c.index + 1);
        ImGui::PushStyleColor(ImGuiCol_Text, kColumnColors[c.index]);
        ImGui::TextWrapped("%s%s", name(c.run->variant.kind), c.head ? "" : " (cannot run)");
        ImGui::PopStyleColor();
    }
    const auto low_rank = [](const Column& c) { return is_low_rank(c.run->variant.kind); };
    metric_row("output error", "||output - exact output||_F / ||exact output||_F, all heads, after W_O", cols,
               [](const Column& c) { return MetricCell{format("%.3g", c.trace->layers[0].output_error)}; });
    metric_row("attention error", "||A_variant - A||_F / ||A||_F for this head", cols,
               [](const Column& c) { return MetricCell{format("%.3g", c.head->variant->comparison.attention_error)}; });
    metric_row("mean KL", "mean over queries of KL(variant || exact) in nats; n/a where the variant's rows are "
               "not distributions (negative weights, or rows not summing to 1)", cols,
               [](const Column& c) { return number(c.head->variant->comparison.mean_kl); });
    metric_row("mean TV", "mean over queries of the total variation 0.5 sum_j |variant - exact|", cols,
               [](const Column& c) { return MetricCell{format("%.3g", c.head->variant->comparison.mean_tv)}; });
    metric_row("max TV", "the worst query's total variation", cols,
               [](const Column& c) { return MetricCell{format("%.3g", c.head->variant->comparison.max_tv)}; });
    const std::string query_help = "query " + std::to_string(q) + " '" + g.exact.query.tokens[q] +
                                   "': its KL(variant || exact) and total variation.\nClick a row of any map to select another.";
    metric_row("KL/TV, q " + std::to_string(q), query_help.c_str(), cols,
               [q](const Column& c) {
                   const HeadComparison& k = c.head->variant->comparison;
                   if (q >= static_cast<int>(k.kl.size()) || q >= static_cast<int>(k.tv.size())) return MetricCell{"-", true};
                   return MetricCell{(std::isnan(k.kl[q]) ? std::string("n/a") : format("%.3g", k.kl[q])) + " / " +
                                     format("%.3g", k.tv[q])};
               });
    metric_row("mass kept", "sparse: the mean share of each exact row's weight that falls on kept keys", cols,
               [](const Column& c) {
                   return is_sparse(c.run->variant.kind) ? MetricCell{format("%.1f%%", 100 * c.head->variant->comparison.mass_kept)}
                                                         : MetricCell{"- (all keys)", true};
               });
    metric_row("pairs kept", "sparse: the (query, key) pairs the pattern keeps, of those the mask allows", cols,
               [&](const Column& c) {
                   if (!is_sparse(c.run->variant.kind)) return MetricCell{"- (all)", true};
                   const long long allowed = g.exact.allowed.count();
                   const long long kept = (c.head->variant->pattern.array() && g.exact.allowed.array()).count();
                   return MetricCell{std::to_string(kept) + "/" + std::to_string(allowed) +
                                     format(" (%.0f%%)", allowed ? 100.0 * kept / allowed : 0.0)};
               });
    metric_row("rank", "low-rank: the rank the variant is allowed (k, landmarks, features, r)", cols, [&](const Column& c) {
        return low_rank(c) ? MetricCell{std::to_string(c.head->variant->comparison.rank)} : MetricCell{"- (sparse)", true};
    });
    metric_row("best error", "Eckart-Young: the least attention error any matrix of that rank can reach", cols,
               [&](const Column& c) {
                   return low_rank(c) ? MetricCell{format("%.3g", c.head->variant->comparison.best_rank_error)} : MetricCell{"-", true};
               });
    metric_row("FLOPs", "cost model, one layer, all heads; the ratio is variant / dense", cols, [](const Column& c) {
        return MetricCell{si(c.trace->layers[0].cost.flops) + " (" + ratio(c.trace->layers[0].cost.flops, c.trace->layers[0].dense_cost.flops) + ")"};
    });
    metric_row("bytes", "bytes moved at fp32, one layer, all heads; the ratio is variant / dense", cols,
               [](const Column& c) {
                   return MetricCell{si(c.trace->layers[0].cost.bytes, "B") + " (" + ratio(c.trace->layers[0].cost.bytes, c.trace->layers[0].dense_cost.bytes) + ")"};
               });
    ImGui::EndTable();
    ImGui::TextDisabled("dense: %s FLOPs, %s (one layer, all heads, fp32)", si(g.exact.layers[0].dense_cost.flops).c_str(),
                        si(g.exact.layers[0].dense_cost.bytes, "B").c_str());
}

const Vector* find_spectrum(const Grid& g) {
    if (g.exact.has_variant() && g.exact.layers[0].heads[g.h].variant->comparison.spectrum.size() > 0) return &g.exact.layers[0].heads[g.h].variant->comparison.spectrum;
    for (const Column& c : g.cols)
        if (c.head && c.head->variant->comparison.spectrum.size() > 0) return &c.head->variant->comparison.spectrum;
    return nullptr;
}

void draw_spectrum(const Grid& g) {
    ImGui::Text("Spectrum of the exact weights, head %d", g.h);
    const Vector* spectrum = find_spectrum(g);
    if (!spectrum) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
        ImGui::TextWrapped("The spectrum comes with a variant's run: add one that runs on these inputs.");
        ImGui::PopStyleColor();
        return;
    }
    PlotSeries s;
    s.name = "singular values";
    s.color = kSpectrumColor;
    for (int i = 0; i < spectrum->size(); ++i) s.x.push_back(i + 1), s.y.push_back((*spectrum)(i));
    std::vector<PlotMarker> markers;
    std::vector<const Column*> ranked;
    for (const Column& c : g.cols)
        if (c.head && is_low_rank(c.run->variant.kind)) {
            markers.push_back({static_cast<double>(c.head->variant->comparison.rank),
                               std::string(name(c.run->variant.kind)) + " r=" + std::to_string(c.head->variant->comparison.rank),
                               kColumnColors[c.index]});
            ranked.push_back(&c);
        }
    PlotStyle style;
    style.x.title = "index i";
    style.y.title = "singular value";
    style.y.scale = AxisScale::Log10;
    const float line = ImGui::GetTextLineHeightWithSpacing();
    const float readout = line * (static_cast<float>(ranked.size()) + (ranked.empty() ? 4.0f : 2.0f));
    style.size = ImVec2(ImGui::GetContentRegionAvail().x, std::max(ImGui::GetContentRegionAvail().y - readout, 12 * line));
    draw_plot("spectrum", {s}, style, markers);
    for (const Column* c : ranked) {
        const HeadComparison& k = c->head->variant->comparison;
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kColumnColors[c->index]), "%s rank %d: best error %.3g, actual %.3g",
                           name(c->run->variant.kind), k.rank, k.best_rank_error, k.attention_error);
    }
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    if (ranked.empty()) ImGui::TextWrapped("No low-rank variant: linformer, nystrom, performer or svd mark their rank here.");
    ImGui::TextWrapped("Best error: keep the r largest singular values (Eckart-Young).");
    ImGui::PopStyleColor();
}


}  // namespace attnscope::gui::compare
