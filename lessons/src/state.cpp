// The state a lesson step sets up: partial inputs laid over the defaults, the lesson's and every
// earlier step's inputs and set_equal, and the task's solution on top.
#include "attnscope/lessons/state.hpp"

#include <string>
#include <vector>

#include "attnscope/error.hpp"
#include "attnscope/json_input.hpp"
#include "attnscope/lessons/experiments.hpp"
#include "attnscope/trace_json.hpp"
#include "strings.hpp"

namespace attnscope {

using nlohmann::json;
using lessons_detail::contains;
using lessons_detail::join;

namespace {

const std::vector<std::string> kInputKeys = {"text", "cross_text", "d_model", "heads",     "seed",  "pe",
                                             "mask", "temperature", "bos",   "pad_to", "edits", "variant",
                                             "variant_params"};

json edit_to_json(const json& e) {
    if (e.is_string()) {
        const Edit parsed = parse_edit(e.get<std::string>());
        return {{"matrix", parsed.matrix}, {"row", parsed.row}, {"col", parsed.col}, {"value", parsed.value}};
    }
    if (!e.is_object() || !e.contains("matrix") || !e.contains("row") || !e.contains("col") || !e.contains("value"))
        throw Error("an edit is {\"matrix\": \"W_Q\", \"row\": 2, \"col\": 3, \"value\": 0.5} or \"W_Q[2,3]=0.5\", not " +
                    quote_json(e));
    return e;
}

}  // namespace

Inputs merge_inputs(const Inputs& base, const json& partial) {
    if (!partial.is_object()) throw Error("inputs must be an object such as {\"text\": \"the cat sat\"}, not " + quote_json(partial));
    json merged = inputs_to_json(base);
    for (const auto& [key, value] : partial.items()) {
        if (!contains(kInputKeys, key)) throw Error("unknown input " + quote_json(key) + ": inputs are " + join(kInputKeys));
        if (key == "variant_params") {
            if (!value.is_object()) throw Error("variant_params must be an object such as {\"k\": 8}");
            for (const auto& [p, v] : value.items()) {
                if (!merged["variant_params"].contains(p)) {
                    std::vector<std::string> names;
                    for (const auto& [known, unused] : merged["variant_params"].items()) names.push_back(known);
                    throw Error("unknown variant parameter " + quote_json(p) + ": parameters are " + join(names));
                }
                merged["variant_params"][p] = v;
            }
        } else if (key == "edits") {
            if (!value.is_array()) throw Error("edits must be a list, e.g. [\"W_Q[2,3]=0.5\"]");
            json edits = json::array();
            for (const json& e : value) edits.push_back(edit_to_json(e));
            merged["edits"] = edits;
        } else {
            merged[key] = value;
        }
    }
    return inputs_from_json(merged);
}

StepState lesson_start(const Lesson& lesson) {
    StepState s;
    s.inputs = merge_inputs(Inputs{}, lesson.inputs);
    return s;
}

void advance_state(StepState& s, const LessonStep& st) {
    if (st.inputs) s.inputs = merge_inputs(s.inputs, *st.inputs);
    if (st.set_equal) s.inputs = with_matrix_copied(s.inputs, st.set_equal->first, st.set_equal->second);
    if (st.view.head) s.head = *st.view.head;
    if (st.view.query) s.query = *st.view.query;
    s.step = st.view.step;
    s.panels = st.view.panels;
}

StepState lesson_state(const Lesson& lesson, int step) {
    if (step < 0 || step >= static_cast<int>(lesson.steps.size()))
        throw Error(lesson.file + " has no step " + std::to_string(step + 1) + ": it has " +
                    std::to_string(lesson.steps.size()));
    StepState s = lesson_start(lesson);
    for (int i = 0; i <= step; ++i) advance_state(s, lesson.steps[i]);
    return s;
}

Inputs solution_inputs(const Lesson& lesson, int step) {
    const LessonStep& st = lesson.steps.at(step);
    if (!st.task || !st.task->solution) throw Error(lesson.file + " step " + std::to_string(step + 1) + " has no solution");
    return merge_inputs(lesson_state(lesson, step).inputs, *st.task->solution);
}

}  // namespace attnscope
