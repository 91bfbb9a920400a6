#pragma once
// The forward pass as the named steps the Stepper walks through.
#include <optional>
#include <string_view>
#include <vector>

namespace attnscope::gui {

// The built-in engine walks the first twelve; a loaded model walks its own list (steps_of), which
// adds its layer norm, the residual connection and the MLP.
enum class Step {
    Tokenize, Embed, AddPositional, ProjectQKV, SplitHeads, Scores, Scale, Mask, Softmax, WeightValues,
    Concat, OutputProjection, LayerNorm, Residual, Mlp
};
inline constexpr int kStepCount = 15;  // every step id, for parsing

struct StepInfo {
    const char* id;           // for --step on the command line
    const char* title;
    const char* formula;
    const char* explanation;  // one or two sentences, for a learner
};

// What the step computes: in the built-in engine, or (model = true) in a GPT-2 block.
const StepInfo& step_info(Step step, bool model = false);
// The steps the Stepper lists, in order.
const std::vector<Step>& steps_of(bool model);
// The step `delta` places after `step` in steps_of(model), clamped to the list.
Step step_after(Step step, int delta, bool model);
// 0-based place of `step` in steps_of(model); -1 if the list lacks it.
int position_of(Step step, bool model);
std::optional<Step> parse_step(std::string_view id);
inline Step step_at(int index) { return static_cast<Step>(index); }
inline int index_of(Step step) { return static_cast<int>(step); }

}  // namespace attnscope::gui
