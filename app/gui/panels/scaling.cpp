// Scaling panel: controls for the sweep, a progress bar with Cancel, the fitted exponents, and
// two log-log plots (time and peak memory against n) per variant; see scaling.hpp.
#include "gui/panels/scaling.hpp"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "attnscope/error.hpp"
#include "gui/widgets/plot.hpp"
#include "gui/widgets/tones.hpp"

namespace attnscope::gui {
namespace {

struct VariantStyle {
    VariantKind kind;
    ImU32 color;
};
constexpr VariantStyle kVariants[] = {
    {VariantKind::Dense, IM_COL32(240, 85, 70, 255)},     {VariantKind::Local, IM_COL32(80, 170, 255, 255)},
    {VariantKind::Strided, IM_COL32(170, 120, 240, 255)}, {VariantKind::BigBird, IM_COL32(245, 175, 50, 255)},
    {VariantKind::Linformer, IM_COL32(90, 205, 110, 255)}, {VariantKind::Nystrom, IM_COL32(235, 110, 200, 255)},
    {VariantKind::Performer, IM_COL32(150, 210, 210, 255)},
};
constexpr ImU32 kTheoryLegend = IM_COL32(170, 170, 170, 255);

ImU32 color_of(VariantKind kind) {
    for (const VariantStyle& v : kVariants)
        if (v.kind == kind) return v.color;
    return IM_COL32(200, 200, 200, 255);
}

// The model's dashed curve a little fainter than the measurements.
ImU32 theory_color(ImU32 c) {
    ImVec4 v = ImGui::ColorConvertU32ToFloat4(c);
    v.w = 0.75f;
    return ImGui::ColorConvertFloat4ToU32(v);
}

std::string seconds_text(double s) {
    char buf[32];
    if (s >= 1)
        std::snprintf(buf, sizeof buf, "%.2f s", s);
    else if (s >= 1e-3)
        std::snprintf(buf, sizeof buf, "%.2f ms", s * 1e3);
    else
        std::snprintf(buf, sizeof buf, "%.1f us", s * 1e6);
    return buf;
}

std::string megabytes_text(long long bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1048576.0);
    return buf;
}

int log2_of(int n) { return static_cast<int>(std::lround(std::log2(static_cast<double>(std::max(n, 1))))); }

// The chosen variants' parameters: their rows of variant_param_table(), with the table's ranges at
// the sweep's longest n (a row with auto_value also takes 0: chosen per length).
void draw_param_sliders(BenchConfig& c, float width) {
    const int longest = c.sizes.empty() ? 1 : c.sizes.back();
    for (VariantKind kind : c.variants) {
        VariantParams& v = c.params_of(kind);
        for (const VariantParamInfo* p : variant_params_of(kind)) {
            if (!p->field) continue;  // the list row (global tokens) is not swept
            const int lo = p->auto_value ? 0 : p->lo;
            const int hi = std::max(p->upper(v, longest, longest), lo + 1);
            std::string label = std::string(name(kind)) + " " + p->label;
            if (p->auto_value) label += " (0: auto)";
            const bool log = p->log_slider || hi - lo > 1024;
            ImGui::SetNextItemWidth(width);
            ImGui::SliderInt(label.c_str(), &(v.*p->field), lo, hi, "%d",
                             ImGuiSliderFlags_AlwaysClamp | (log ? ImGuiSliderFlags_Logarithmic : 0));
            if (ImGui::IsItemHovered())
                ImGui::SetTooltip("%s: %s (%d..%d at n = %d)%s%s", label.c_str(), p->help_for(kind).c_str(), lo, hi, longest,
                                  p->auto_value ? "; 0: " : "", p->auto_value ? p->auto_help : "");
        }
    }
}

// The controls: which variants, which lengths, heads, d_head, budget; returns true on Run.
bool draw_controls(ScalingPanelState& state, bool running) {
    BenchConfig& c = state.config;
    ImGui::TextUnformatted("Variants");
    for (const VariantStyle& v : kVariants) {
        ImGui::SameLine();
        auto it = std::find(c.variants.begin(), c.variants.end(), v.kind);
        bool on = it != c.variants.end();
        ImGui::PushStyleColor(ImGuiCol_Text, ImGui::ColorConvertU32ToFloat4(v.color));
        if (ImGui::Checkbox(name(v.kind), &on)) {
            std::vector<VariantKind> next;  // kept in the panel's order
            for (const VariantStyle& w : kVariants)
                if (w.kind == v.kind ? on : std::find(c.variants.begin(), c.variants.end(), w.kind) != c.variants.end())
                    next.push_back(w.kind);
            c.variants = next;
        }
        ImGui::PopStyleColor();
    }
    // Lengths: every power of two from 2^lo to 2^hi.
    int lo = c.sizes.empty() ? 8 : log2_of(c.sizes.front()), hi = c.sizes.empty() ? 14 : log2_of(c.sizes.back());
    const float field = ImGui::GetFontSize() * 7;
    ImGui::SetNextItemWidth(field);
    bool sizes_changed = ImGui::SliderInt("n from", &lo, 4, 22, "2^%d");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(field);
    sizes_changed |= ImGui::SliderInt("to", &hi, 4, 22, "2^%d");
    if (sizes_changed || c.sizes.empty()) {
        hi = std::max(hi, lo);
        c.sizes.clear();
        for (int e = lo; e <= hi; ++e) c.sizes.push_back(1 << e);
    }
    ImGui::SameLine();
    ImGui::TextDisabled("(%d..%d)", c.sizes.front(), c.sizes.back());
    ImGui::SetNextItemWidth(field);
    ImGui::SliderInt("heads", &c.heads, 1, 16);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(field);
    ImGui::SliderInt("d_head", &c.d_head, 8, 256);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(field);
    float budget = static_cast<float>(c.budget);
    if (ImGui::SliderFloat("budget per run", &budget, 0.1f, 60.0f, "%.1f s", ImGuiSliderFlags_Logarithmic))
        c.budget = budget;
    ImGui::SameLine();
    ImGui::SetNextItemWidth(field * 0.6f);
    ImGui::SliderInt("repeats", &c.repeats, 1, 9);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(field * 0.6f);
    ImGui::SliderInt("threads (0: all)", &c.threads, 0, 64);
    if (ImGui::TreeNode("Variant parameters")) {
        draw_param_sliders(c, field);
        ImGui::TreePop();
    }
    ImGui::BeginDisabled(running || c.variants.empty());
    const bool run = ImGui::Button("Run sweep");
    ImGui::EndDisabled();
    return run;
}

// Measured points and fit, the dashed model, per variant; the time plot and the memory plot.
struct Curves {
    std::vector<PlotSeries> time, memory;
    std::vector<std::string> fits;  // one line per variant
    std::vector<ImU32> fit_colors;
};

Curves build_curves(const ScalingResults& r) {
    Curves out;
    const BenchConfig& c = r.config;
    for (std::size_t vi = 0; vi < c.variants.size(); ++vi) {
        const VariantKind kind = c.variants[vi];
        const std::string variant = name(kind);
        PlotSeries t, m;
        t.color = m.color = color_of(kind);
        for (const BenchRow& row : r.rows) {
            if (row.variant != variant || row.kernel != "fast") continue;
            t.x.push_back(row.n), t.y.push_back(row.seconds);
            m.x.push_back(row.n), m.y.push_back(static_cast<double>(row.peak_bytes) / 1048576.0);
            char buf[256];
            std::snprintf(buf, sizeof buf,
                          "%s, n = %d\n%s (median of %zu)\n%.1f GFLOP/s; per CPU second %.0f%% of the peak\n%s peak memory",
                          variant.c_str(), row.n, seconds_text(row.seconds).c_str(), row.times.size(), row.gflops,
                          100 * row.cpu_fraction_of_peak, megabytes_text(row.peak_bytes).c_str());
            t.hover.push_back(buf);
            m.hover.push_back(buf);
        }
        const PowerLawFit fit = fit_time_exponent(r.rows, variant);
        char label[96];
        if (std::isnan(fit.exponent))
            std::snprintf(label, sizeof label, "%s", variant.c_str());
        else
            std::snprintf(label, sizeof label, "%s  t ~ n^%.2f", variant.c_str(), fit.exponent);
        t.name = label;
        m.name = variant;
        if (r.have_peak && vi < r.theory.size()) {  // the model over the whole range, dashed, out of the legend
            PlotSeries th;
            th.name = variant + " model";
            th.in_legend = false;  // one legend entry stands for every dashed curve
            th.color = theory_color(t.color);
            th.dashed = true;
            th.markers = false;
            std::vector<double> x;
            for (std::size_t k = 0; k < c.sizes.size(); ++k) {
                th.x.push_back(c.sizes[k]), th.y.push_back(r.theory[vi][k]), x.push_back(c.sizes[k]);
                char buf[160];
                std::snprintf(buf, sizeof buf, "%s cost model, n = %d\n%.3g flops = %s at the peak", variant.c_str(),
                              c.sizes[k], bench_flops(c, kind, c.sizes[k]), seconds_text(r.theory[vi][k]).c_str());
                th.hover.push_back(buf);
            }
            const PowerLawFit model = fit_power_law(x, th.y);
            char line[160];
            if (std::isnan(fit.exponent))
                std::snprintf(line, sizeof line, "%-10s measured: fewer than two lengths   model: n^%.2f", variant.c_str(),
                              model.exponent);
            else
                std::snprintf(line, sizeof line, "%-10s measured: n^%.2f over %d lengths   model: n^%.2f", variant.c_str(),
                              fit.exponent, fit.points, model.exponent);
            out.fits.push_back(line);
            out.fit_colors.push_back(t.color);
            out.time.push_back(std::move(th));
        }
        out.time.push_back(std::move(t));
        out.memory.push_back(std::move(m));
    }
    if (r.have_peak) {  // one legend entry for every dashed curve
        PlotSeries key;
        key.name = "cost-model FLOPs at the peak";
        key.color = kTheoryLegend;
        key.dashed = true;
        key.markers = false;
        out.time.push_back(std::move(key));
    }
    return out;
}

}  // namespace

BenchConfig ScalingPanelState::default_scaling_config() {
    BenchConfig c;
    c.variants = {VariantKind::Dense, VariantKind::Local, VariantKind::Linformer};
    c.sizes.clear();
    for (int e = 9; e <= 15; ++e) c.sizes.push_back(1 << e);
    c.heads = 1;
    c.d_head = 64;
    c.params_of(VariantKind::Local).window = 64;  // local: 129 keys per query, linear from n = 512
    c.params_of(VariantKind::Linformer).k = 128;
    c.repeats = 3;
    c.budget = 2;
    return c;
}

void start_scaling_sweep(ScalingPanelState& state) {
    check_bench_config(state.config);  // bad settings are shown, not run
    auto results = std::make_shared<ScalingResults>();
    results->config = state.config;
    state.results = results;
    const BenchConfig config = state.config;
    state.job->start([results, config](JobControl& control) {
        set_kernel_threads(config.threads);
        const FmaPeak peak = measure_fma_peak(kernel_threads());
        std::vector<std::vector<double>> theory;
        for (VariantKind kind : config.variants) {
            theory.emplace_back();
            // At the peak per CPU second: what the threads do while they run, which a loaded machine
            // disturbs less than the wall-time figure.
            const double rate = (peak.cpu_gflops > 0 ? peak.cpu_gflops : peak.gflops) * 1e9;
            for (int n : config.sizes) theory.back().push_back(bench_flops(config, kind, n) / rate);
        }
        {
            std::lock_guard<std::mutex> lock(results->mutex);
            results->peak = peak;
            results->have_peak = true;
            results->isa = kernel_isa_description();
            results->theory = std::move(theory);
        }
        SweepHooks hooks;
        hooks.on_row = [&](const BenchRow& row) {
            std::lock_guard<std::mutex> lock(results->mutex);
            results->rows.push_back(row);
        };
        hooks.on_note = [&](const BenchNote& note) {
            std::lock_guard<std::mutex> lock(results->mutex);
            results->notes.push_back(note);
        };
        hooks.on_progress = [&](double f) { control.set_progress(f); };
        hooks.cancelled = [&] { return control.cancelled(); };
        run_sweep(config, peak, hooks);
        std::lock_guard<std::mutex> lock(results->mutex);
        results->finished = true;
    });
}

Edits draw_scaling_panel(ScalingPanelState& state) {
    std::string start_error;
    if (state.start_on_open) {
        state.start_on_open = false;
        try {
            start_scaling_sweep(state);
            if (state.wait_for_sweep) state.job->wait();
        } catch (const Error& e) {
            start_error = e.what();
        }
    }
    const bool running = state.job->running();
    if (draw_controls(state, running)) {
        try {
            start_scaling_sweep(state);
        } catch (const Error& e) {
            start_error = e.what();
        }
    }
    ImGui::SameLine();
    if (running) {
        if (ImGui::Button("Cancel")) state.job->cancel();
        ImGui::SameLine();
    }
    char progress[64];
    const bool cancelled = state.job->was_cancelled();
    std::snprintf(progress, sizeof progress, "%s %.0f%%",
                  running ? (cancelled ? "cancelling" : "running") : (cancelled ? "cancelled at" : "done"),
                  100 * state.job->progress());
    ImGui::ProgressBar(running || state.results ? static_cast<float>(state.job->progress()) : 0.0f, ImVec2(-1, 0),
                       state.results ? progress : "not run yet");
    if (!start_error.empty()) ImGui::TextColored(tone(Tone::Accent), "%s", start_error.c_str());
    if (const std::string e = state.job->error(); !e.empty()) ImGui::TextColored(tone(Tone::Accent), "The sweep failed: %s", e.c_str());

    if (!state.results) {
        ImGui::TextWrapped(
            "Times the fast CPU kernels over n (powers of two), as `attnscope bench` does, and plots time and "
            "memory against n on log-log axes: a straight line of slope 2 is O(n^2), slope 1 is O(n).");
        return {};
    }
    // A copy under the lock: the sweep thread keeps appending.
    ScalingResults snapshot;
    {
        std::lock_guard<std::mutex> lock(state.results->mutex);
        const ScalingResults& r = *state.results;
        snapshot.config = r.config, snapshot.have_peak = r.have_peak, snapshot.peak = r.peak, snapshot.isa = r.isa;
        snapshot.theory = r.theory, snapshot.rows = r.rows, snapshot.notes = r.notes, snapshot.finished = r.finished;
    }
    const BenchConfig& c = snapshot.config;
    if (snapshot.have_peak)
        ImGui::TextDisabled("%d head(s), d_head %d, fp32; multiply-add peak %.0f GFLOP/s on %d thread(s) per CPU second "
                            "(%.0f per wall second now); kernels %s",
                            c.heads, c.d_head, snapshot.peak.cpu_gflops, snapshot.peak.threads, snapshot.peak.gflops,
                            snapshot.isa.c_str());
    else
        ImGui::TextDisabled("measuring the machine's FMA peak ...");
    const Curves curves = build_curves(snapshot);
    for (std::size_t i = 0; i < curves.fits.size(); ++i)
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(curves.fit_colors[i]), "%s", curves.fits[i].c_str());
    for (const BenchNote& n : snapshot.notes)
        ImGui::TextColored(tone(Tone::Accent), "%s n = %d: %s %s", n.variant.c_str(), n.n, n.dropped ? "dropped," : "skipped,",
                           n.why.c_str());

    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float gap = ImGui::GetStyle().ItemSpacing.x;
    PlotStyle time;
    time.x = {"n (tokens)", AxisScale::Log2};
    time.y = {"seconds (median)", AxisScale::Log10};
    time.size = ImVec2((avail.x - gap) * 0.5f, std::max(avail.y, 12 * ImGui::GetFontSize()));
    draw_plot("scaling time", curves.time, time);
    ImGui::SameLine();
    PlotStyle memory = time;
    memory.y = {"peak memory (MB)", AxisScale::Log10};
    draw_plot("scaling memory", curves.memory, memory);
    return {};
}

}  // namespace attnscope::gui
