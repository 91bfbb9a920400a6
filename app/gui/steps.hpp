#pragma once
// The forward pass as the named steps the Stepper walks through.
#include <optional>
#include <string_view>

namespace attnscope::gui {

enum class Step {
    Tokenize, Embed, AddPositional, ProjectQKV, SplitHeads, Scores, Scale, Mask, Softmax, WeightValues,
    Concat, OutputProjection
};
inline constexpr int kStepCount = 12;

struct StepInfo {
    const char* id;           // for --step on the command line
    const char* title;
    const char* formula;
    const char* explanation;  // one or two sentences, for a learner
};

const StepInfo& step_info(Step step);
std::optional<Step> parse_step(std::string_view id);
inline Step step_at(int index) { return static_cast<Step>(index); }
inline int index_of(Step step) { return static_cast<int>(step); }

}  // namespace attnscope::gui
