#pragma once
// Pieces of lesson-file validation shared by lesson.cpp (files, steps, views) and tasks.cpp
// (tasks, and the load-time run of every step).
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attnscope/lessons/lesson.hpp"
#include "attnscope/lessons/state.hpp"
#include "attnscope/trace.hpp"

namespace attnscope::lessons_detail {

// Throws unless `j` is an object whose keys are all in `allowed`; `what` names it in the message.
void check_keys(const nlohmann::json& j, const std::vector<std::string>& allowed, const std::string& what);
std::string required_string(const nlohmann::json& j, const std::string& key, const std::string& what);

LessonTask parse_task(const nlohmann::json& j);
// Runs a step's state `s` (lesson_state) as the panel would set it up and evaluates its text and
// check, so that a lesson that cannot run fails when it loads, not in front of a student. Steps that
// change nothing reuse the previous step's trace from `cache`.
struct DryRunCache {
    std::optional<Trace> trace;
};
void dry_run(const LessonStep& step, const StepState& s, DryRunCache& cache);

}  // namespace attnscope::lessons_detail
