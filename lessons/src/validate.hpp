#pragma once
// Pieces of lesson-file validation shared by lesson.cpp (files, steps, views) and tasks.cpp
// (tasks, and the load-time run of every step).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attnscope/lessons/lesson.hpp"

namespace attnscope::lessons_detail {

// Throws unless `j` is an object whose keys are all in `allowed`; `what` names it in the message.
void check_keys(const nlohmann::json& j, const std::vector<std::string>& allowed, const std::string& what);
std::string required_string(const nlohmann::json& j, const std::string& key, const std::string& what);

LessonTask parse_task(const nlohmann::json& j);
// Runs step `i`'s state as the panel would set it up and evaluates its text and check, so that a
// lesson that cannot run fails when it loads, not in front of a student.
void dry_run(const Lesson& lesson, int i);

}  // namespace attnscope::lessons_detail
