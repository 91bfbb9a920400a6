// Stepper panel: the forward pass as named steps; Prev / Next / Play (arrow keys too).
#include <imgui.h>

#include <algorithm>

#include "gui/panels/stepper.hpp"
#include "gui/redraw.hpp"
#include "gui/widgets/texts_drawn.hpp"
#include "gui/widgets/tones.hpp"

namespace attnscope::gui {
namespace {

// The shape of what the step produces, with the real sizes.
std::string step_shape(const Trace& t, Step s) {
    const std::string n = std::to_string(t.n()), m = std::to_string(t.m()), d = std::to_string(t.inputs.d_model),
                      dh = std::to_string(t.d_head), h = std::to_string(t.inputs.heads);
    switch (s) {
        case Step::Tokenize: return n + " tokens" + (t.cross ? ", " + m + " key tokens" : "");
        case Step::Embed:
        case Step::AddPositional: return "(" + n + " x " + d + ")";
        case Step::ProjectQKV: return "Q (" + n + " x " + d + "), K and V (" + m + " x " + d + ")";
        case Step::SplitHeads: return h + " heads of (" + n + " x " + dh + ")";
        case Step::Scores:
        case Step::Scale:
        case Step::Mask:
        case Step::Softmax: return h + " x (" + n + " x " + m + ")";
        case Step::WeightValues: return h + " x (" + n + " x " + dh + ")";
        case Step::Concat:
        case Step::OutputProjection:
        case Step::LayerNorm:
        case Step::Residual:
        case Step::Mlp: return "(" + n + " x " + d + ")";
    }
    return {};
}

}  // namespace

Edits draw_stepper_panel(const Trace& trace, const Selection& sel, StepperState& state) {
    Edits out;
    const bool model = trace.has_model();
    const std::vector<Step>& order = steps_of(model);
    const int count = static_cast<int>(order.size());
    const int current = std::max(position_of(sel.step, model), 0);
    ImGui::BeginDisabled(current == 0);
    if (ImGui::Button("< Prev")) out.step = step_after(sel.step, -1, model);
    ImGui::EndDisabled();
    ImGui::SameLine();
    ImGui::BeginDisabled(current + 1 == count);
    if (ImGui::Button("Next >")) out.step = step_after(sel.step, 1, model);
    ImGui::EndDisabled();
    ImGui::SameLine();
    if (ImGui::Button(state.playing ? "Pause" : "Play")) {
        state.playing = !state.playing;
        state.last_advance = ImGui::GetTime();
        if (state.playing && current + 1 == count) out.step = order.front();
    }
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
    ImGui::SliderFloat("s/step", &state.seconds_per_step, 0.3f, 5.0f, "%.1f");
    if (state.playing && ImGui::GetTime() - state.last_advance >= state.seconds_per_step) {
        state.last_advance = ImGui::GetTime();
        if (current + 1 < count)
            out.step = step_after(sel.step, 1, model);
        else
            state.playing = false;
    }
    if (state.playing) redraw_within(state.last_advance + state.seconds_per_step - ImGui::GetTime());
    ImGui::TextDisabled("Left / Right arrow keys step too.");
    if (model)
        ImGui::TextDisabled("GPT-2 block %d of %d (panels show this layer; the Model panel picks another).",
                            std::clamp(sel.layer, 0, trace.layer_count() - 1), trace.layer_count());
    ImGui::Separator();

    const StepInfo& info = step_info(sel.step, model);
    ImGui::Text("%d. %s", current + 1, info.title);
    ImGui::PushStyleColor(ImGuiCol_Text, tone(Tone::Accent));
    ImGui::TextWrapped("%s", info.formula);
    ImGui::PopStyleColor();
    ImGui::TextWrapped("%s", info.explanation);
    ImGui::TextDisabled("result: %s", step_shape(trace, sel.step).c_str());
    ImGui::Separator();

    for (int i = 0; i < count; ++i) {
        const StepInfo& s = step_info(order[i], model);
        const std::string label = std::to_string(i + 1) + ". " + s.title;
        if (ImGui::Selectable(label.c_str(), i == current)) out.step = order[i];
        note_text("stepper", label + ": " + s.formula);
    }
    return out;
}

}  // namespace attnscope::gui
