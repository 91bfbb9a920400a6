#pragma once
// Guided lessons: files in assets/lessons/, parsed and validated here (no GUI).
//
// A lesson file (one per lesson, UTF-8 JSON, loaded in file-name order):
// {
//   "schema": "attnscope.lesson/1",
//   "title": "Why divide by sqrt(d_k)?",
//   "summary": "one line for the lesson list",                       (optional)
//   "inputs": { partial inputs },                                     (optional: the lesson's start)
//   "steps": [ {
//     "title": "Unscaled scores grow with d_k",
//     "text": "Query {{token[query]}} gives key 1 the score {{head.scores[query][1]}} ...",
//     "inputs": { partial inputs },                                   (optional)
//     "set_equal": ["W_K", "W_Q"],                                    (optional: edits W_K := W_Q cell by cell)
//     "view": {"step": "scores", "head": 0, "query": 3, "panels": ["attention"]},   (optional)
//     "task": {"prompt": "...", "check": "argmax(head0.attention[3]) == 1",
//              "hint": "...", "solution": { partial inputs }},         (optional)
//     "experiment": "entropy_vs_dk"                                    (optional, see experiments.hpp)
//   } ]
// }
//
// Partial inputs: see state.hpp. Text placeholders and checks: see expression.hpp.
// A check may also be written {"argmax": {"head": 0, "row": 3}, "equals": 1} or {"symmetric": "head0.scores"}.
//
// Every file is validated when loaded: unknown keys, step or panel ids, experiments, placeholder
// names and partial inputs that do not run give an Error naming the file, the step and the fix.
// Loading is lessons/src/lesson.cpp; tasks and the load-time run of every step, lessons/src/tasks.cpp.
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "attnscope/lessons/expression.hpp"

namespace attnscope {

inline constexpr const char* kLessonSchema = "attnscope.lesson/1";

// The names a lesson may use for GUI things; the engine knows none of them itself.
struct LessonVocabulary {
    std::vector<std::string> steps;   // step ids, e.g. "softmax"
    std::vector<std::string> panels;  // panel ids, e.g. "attention"
};

struct LessonView {
    std::optional<std::string> step;
    std::optional<int> head, query;
    std::vector<std::string> panels;  // windows to open
};

struct LessonTask {
    TextTemplate prompt;  // may hold placeholders too
    TextTemplate hint;
    Expression check;
    std::optional<nlohmann::json> solution;  // partial inputs on top of the step's
};

struct LessonStep {
    std::string title;
    TextTemplate text;
    std::optional<nlohmann::json> inputs;           // partial inputs
    std::optional<std::pair<std::string, std::string>> set_equal;  // (to, from): to := from
    LessonView view;
    std::optional<LessonTask> task;
    std::string experiment;  // empty: none
};

struct Lesson {
    std::string file;   // the file name, for messages and --lesson
    std::string title;
    std::string summary;
    nlohmann::json inputs = nlohmann::json::object();
    std::vector<LessonStep> steps;
};

// Parses and validates one lesson; `file` names it in messages. Throws Error.
Lesson parse_lesson(const nlohmann::json& j, const std::string& file, const LessonVocabulary& vocabulary);
// Reads, parses and validates a file. Throws Error naming the file.
Lesson load_lesson(const std::filesystem::path& path, const LessonVocabulary& vocabulary);

// Every *.json in a folder, in file-name order; a bad file becomes one error, the others still load.
struct LessonLibrary {
    std::vector<Lesson> lessons;
    std::vector<std::string> errors;
};
LessonLibrary load_lessons(const std::filesystem::path& folder, const LessonVocabulary& vocabulary);

}  // namespace attnscope
