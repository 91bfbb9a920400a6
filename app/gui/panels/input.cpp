// Input panel: the sentence, the cross-attention text, dimensions and options, presets.
#include <imgui.h>
#include <imgui_stdlib.h>

#include "gui/panels/input.hpp"
#include "gui/widgets/texts_drawn.hpp"
#include "gui/widgets/flow.hpp"
#include "gui/widgets/tones.hpp"

namespace attnscope::gui {
namespace {

struct Preset {
    const char* label;
    const char* text;
    const char* cross_text;
};

constexpr Preset kPresets[] = {
    {"English: the animal ... too tired", "The animal didn't cross the street because it was too tired.", ""},
    {"English: repeated words", "the cat sat on the mat and the dog sat on the cat", ""},
    {"English: short", "the cat sat on the mat", ""},
    {"Chinese: self-attention", "自注意力机制让每个词关注序列中的其他词。", ""},
    {"Chinese: repeated words", "我爱猫，猫也爱我。", ""},
    {"Cross-attention: English -> Chinese", "I love cats .", "我爱猫。"},
    {"Padding: two <pad> keys", "the cat sat <pad> <pad>", ""},
};

template <typename Enum, size_t N>
bool enum_combo(const char* label, Enum& value, const std::array<Enum, N>& all) {
    bool changed = false;
    if (ImGui::BeginCombo(label, name(value))) {
        for (Enum e : all)
            if (ImGui::Selectable(name(e), e == value)) value = e, changed = true;
        ImGui::EndCombo();
    }
    return changed;
}

// The synthetic engine's sizes and options.
// Two controls a line where they fit, one where the panel is narrow.
void draw_engine_controls(Inputs& next) {
    const float w = ImGui::GetFontSize() * 8;
    ImGui::PushItemWidth(w);
    ImGui::InputInt("d_model", &next.d_model, 8, 64);
    same_line_if_fits(labeled_width(w, "heads"));
    ImGui::InputInt("heads", &next.heads, 1, 1);
    int seed = static_cast<int>(next.seed);
    if (ImGui::InputInt("seed", &seed)) next.seed = static_cast<std::uint64_t>(std::max(seed, 0));
    same_line_if_fits(labeled_width(w, "pad to"));
    ImGui::InputInt("pad to", &next.pad_to, 1, 4);
    enum_combo("positional", next.pe, kAllPositional);
    same_line_if_fits(labeled_width(w, "mask"));
    enum_combo("mask", next.mask, kAllMasks);
    float temperature = static_cast<float>(next.temperature);
    if (ImGui::SliderFloat("temperature", &temperature, 0.05f, 10.0f, "%.2f", ImGuiSliderFlags_Logarithmic))
        next.temperature = temperature;
    same_line_if_fits(ImGui::GetFrameHeight() + labeled_width(0, "<bos>"));
    ImGui::Checkbox("<bos>", &next.bos);
    enum_combo("backend", next.backend, kAllBackends);
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("cpu: the Eigen engine in double precision.\n"
                          "gpu: OpenGL 4.3 compute shaders in float32 (shaders/*.comp); same stages.");
    ImGui::PopItemWidth();
}

// With a model open, what its config fixes, shown in place of the synthetic engine's controls.
void draw_model_controls(const Inputs& inputs, const ModelSummary& m) {
    ImGui::BeginDisabled();
    int d_model = m.d_model, heads = m.n_head;
    ImGui::PushItemWidth(ImGui::GetFontSize() * 8);
    ImGui::InputInt("d_model", &d_model, 0, 0);
    ImGui::SameLine();
    ImGui::InputInt("heads", &heads, 0, 0);
    ImGui::PopItemWidth();
    ImGui::TextUnformatted("positional: learned (wpe)   mask: causal   temperature: 1");
    ImGui::EndDisabled();
    const std::string reason = "The model " + inputs.model + " fixes these (its config.json: " + std::to_string(m.n_layer) +
                               " layers, " + std::to_string(m.n_head) + " heads, d_model " + std::to_string(m.d_model) +
                               "). The cross-attention text, seed, padding, <bos>, temperature, edits and the GPU "
                               "backend apply to the built-in engine only: choose Synthetic engine in the Model panel "
                               "to use them.";
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::TextWrapped("%s", reason.c_str());
    ImGui::PopStyleColor();
    note_text("input", "disabled: d_model, heads, positional, mask, temperature. " + reason);
}

}  // namespace

Edits draw_input_panel(const Inputs& inputs, const ModelSummary* model, const std::string& error,
                       const std::string& backend_status, InputPanelState& state) {
    if (!state.synced) state.text = inputs.text, state.cross_text = inputs.cross_text, state.synced = true;
    Inputs next = inputs;

    if (ImGui::BeginCombo("Examples", "choose a sentence...")) {
        for (const Preset& p : kPresets)
            if (ImGui::Selectable(p.label)) {
                state.text = p.text, state.cross_text = p.cross_text;
                next.edits.clear();  // edits belong to the old sentence's shapes
            }
        ImGui::EndCombo();
    }
    // Labels above the boxes: the boxes get the full width (ImGui 1.86 does not wrap lines).
    const float box = ImGui::GetTextLineHeight() * 2.4f;
    ImGui::TextUnformatted("Text");
    ImGui::InputTextMultiline("##text", &state.text, ImVec2(-1.0f, box));
    next.text = state.text;
    if (model) {
        draw_model_controls(inputs, *model);
    } else {
        ImGui::TextUnformatted("Cross-attention text (keys and values; empty for self-attention)");
        ImGui::InputTextMultiline("##cross", &state.cross_text, ImVec2(-1.0f, box));
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("Leave empty for self-attention. With a text here, queries come from Text\n"
                              "and keys and values from this one (encoder-decoder cross-attention).");
        next.cross_text = state.cross_text;
        draw_engine_controls(next);
    }
    if (!backend_status.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
        ImGui::TextWrapped("%s", backend_status.c_str());
        ImGui::PopStyleColor();
    }

    if (!next.edits.empty()) {
        ImGui::Text("%zu edited cell%s", next.edits.size(), next.edits.size() == 1 ? "" : "s");
        ImGui::SameLine();
        if (ImGui::SmallButton("clear edits")) next.edits.clear();
        if (ImGui::IsItemHovered()) {
            std::string list;
            for (const Edit& e : next.edits)
                list += e.matrix + "[" + std::to_string(e.row) + "," + std::to_string(e.col) + "] = " +
                        std::to_string(e.value) + "\n";
            ImGui::SetTooltip("%s", list.c_str());
        }
    }
    if (!error.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, tone(Tone::Error));
        ImGui::TextWrapped("%s", error.c_str());
        ImGui::PopStyleColor();
    }
    Edits out;
    if (!(next == inputs)) out.inputs = next;
    return out;
}

}  // namespace attnscope::gui
