#pragma once
// The state a lesson step sets up: its inputs, folded from the lesson's start, and its view.
//
// Partial inputs use the trace-config JSON of trace_json.hpp (text, cross_text, d_model, heads, seed,
// pe, mask, temperature, bos, pad_to, edits, variant, variant_params); an edit is an object
// {"matrix", "row", "col", "value"} or the CLI's string "W_Q[2,3]=0.5". Every step's state is
// deterministic: the defaults, then the lesson's inputs, then each step's inputs (and set_equal)
// up to and including this one; "edits" replaces the list, "variant_params" merges key by key.
// "view.panel" (one id) may stand for "view.panels".
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attnscope/inputs.hpp"
#include "attnscope/lessons/lesson.hpp"

namespace attnscope {

// `base` with a partial inputs object laid over it. Throws Error for unknown keys or bad values.
Inputs merge_inputs(const Inputs& base, const nlohmann::json& partial);

struct StepState {
    Inputs inputs;
    int head = 0, query = 0;                // the last head/query a step up to here chose
    std::optional<std::string> step;        // this step's own view step
    std::vector<std::string> panels;        // this step's own panels
};
StepState lesson_state(const Lesson& lesson, int step);  // throws Error where the inputs do not run
// lesson_state step by step: the state before the first step, and the state after one more step
// (loading checks every step in one pass, so it stays linear in the number of steps).
StepState lesson_start(const Lesson& lesson);
void advance_state(StepState& state, const LessonStep& step);
// Inputs with the task's solution applied (the step's task must have one).
Inputs solution_inputs(const Lesson& lesson, int step);

}  // namespace attnscope
