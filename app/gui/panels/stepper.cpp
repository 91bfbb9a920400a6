// Stepper panel: the forward pass as named steps; Prev / Next / Play (arrow keys too).
#include <imgui.h>

#include "gui/panels/stepper.hpp"

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
        case Step::OutputProjection: return "(" + n + " x " + d + ")";
    }
    return {};
}

}  // namespace

Edits draw_stepper_panel(const Trace& trace, const Selection& sel, StepperState& state) {
    Edits out;
    const int current = index_of(sel.step);
    ImGui::BeginDisabled(current == 0);
    if (ImGui::Button("< Prev")) out.step = step_at(current - 1);
    ImGui::EndDisabled();
    ImGui::SameLine();
    ImGui::BeginDisabled(current + 1 == kStepCount);
    if (ImGui::Button("Next >")) out.step = step_at(current + 1);
    ImGui::EndDisabled();
    ImGui::SameLine();
    if (ImGui::Button(state.playing ? "Pause" : "Play")) {
        state.playing = !state.playing;
        state.last_advance = ImGui::GetTime();
        if (state.playing && current + 1 == kStepCount) out.step = step_at(0);
    }
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
    ImGui::SliderFloat("s/step", &state.seconds_per_step, 0.3f, 5.0f, "%.1f");
    if (state.playing && ImGui::GetTime() - state.last_advance >= state.seconds_per_step) {
        state.last_advance = ImGui::GetTime();
        if (current + 1 < kStepCount)
            out.step = step_at(current + 1);
        else
            state.playing = false;
    }
    ImGui::TextDisabled("Left / Right arrow keys step too.");
    ImGui::Separator();

    const StepInfo& info = step_info(sel.step);
    ImGui::Text("%d. %s", current + 1, info.title);
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.0f, 0.62f, 0.25f, 1.0f));
    ImGui::TextWrapped("%s", info.formula);
    ImGui::PopStyleColor();
    ImGui::TextWrapped("%s", info.explanation);
    ImGui::TextDisabled("result: %s", step_shape(trace, sel.step).c_str());
    ImGui::Separator();

    for (int i = 0; i < kStepCount; ++i) {
        const StepInfo& s = step_info(step_at(i));
        const std::string label = std::to_string(i + 1) + ". " + s.title;
        if (ImGui::Selectable(label.c_str(), i == current)) out.step = step_at(i);
    }
    return out;
}

}  // namespace attnscope::gui
