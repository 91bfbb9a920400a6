// Lesson files: read, checked key by key (steps, views, experiments) and run once step by step
// (tasks.cpp) so that every error names the file, the step and the fix.
#include "attnscope/lessons/lesson.hpp"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "attnscope/error.hpp"
#include "attnscope/json_input.hpp"
#include "attnscope/lessons/experiments.hpp"
#include "strings.hpp"
#include "validate.hpp"

namespace attnscope {
namespace lessons_detail {

using nlohmann::json;

void check_keys(const json& j, const std::vector<std::string>& allowed, const std::string& what) {
    if (!j.is_object()) throw Error(what + " must be a JSON object");
    for (const auto& [key, unused] : j.items())
        if (!contains(allowed, key)) throw Error("unknown key " + quote_json(key) + " in " + what + ": use " + join(allowed));
}

std::string required_string(const json& j, const std::string& key, const std::string& what) {
    if (!j.contains(key) || !j[key].is_string() || j[key].get<std::string>().empty())
        throw Error(what + " needs a non-empty string \"" + key + "\"");
    return j[key].get<std::string>();
}

namespace {

constexpr int kMaxViewIndex = 1 << 20;  // past any head or token; dry_run checks the real count

int non_negative_int(const json& j, const std::string& key) {
    const json& v = j[key];
    const bool whole = v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0);
    if (!whole || v.get<std::uint64_t>() > static_cast<std::uint64_t>(kMaxViewIndex))
        throw Error("view." + key + " is " + quote_json(v) + ": it must be a whole number from 0 to " + std::to_string(kMaxViewIndex));
    return static_cast<int>(v.get<std::uint64_t>());
}

LessonView parse_view(const json& j, const LessonVocabulary& vocab) {
    check_keys(j, {"step", "head", "query", "panel", "panels"}, "view");
    LessonView v;
    if (j.contains("step")) {
        const std::string step = j["step"].is_string() ? j["step"].get<std::string>() : "";
        if (!contains(vocab.steps, step))
            throw Error("view.step " + quote_json(j["step"]) + " is not a step: choose one of " + join(vocab.steps));
        v.step = step;
    }
    if (j.contains("head")) v.head = non_negative_int(j, "head");
    if (j.contains("query")) v.query = non_negative_int(j, "query");
    json panels = json::array();
    if (j.contains("panel")) panels.push_back(j["panel"]);
    if (j.contains("panels")) {
        if (!j["panels"].is_array()) throw Error("view.panels must be a list of panel ids");
        for (const json& p : j["panels"]) panels.push_back(p);
    }
    for (const json& p : panels) {
        if (!p.is_string() || !contains(vocab.panels, p.get<std::string>()))
            throw Error("view panel " + quote_json(p) + " is not a panel: choose from " + join(vocab.panels));
        v.panels.push_back(p.get<std::string>());
    }
    return v;
}

LessonStep parse_step(const json& j, const LessonVocabulary& vocab) {
    check_keys(j, {"title", "text", "inputs", "set_equal", "view", "task", "experiment"}, "the step");
    LessonStep s;
    s.title = required_string(j, "title", "the step");
    s.text = parse_template(required_string(j, "text", "the step"));
    if (j.contains("inputs")) s.inputs = j["inputs"];
    if (j.contains("set_equal")) {
        const json& e = j["set_equal"];
        if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_string())
            throw Error("set_equal is [\"TO\", \"FROM\"], e.g. [\"W_K\", \"W_Q\"]");
        s.set_equal = {e[0].get<std::string>(), e[1].get<std::string>()};
    }
    if (j.contains("view")) s.view = parse_view(j["view"], vocab);
    if (j.contains("task")) s.task = parse_task(j["task"]);
    if (j.contains("experiment")) {
        s.experiment = j["experiment"].is_string() ? j["experiment"].get<std::string>() : "";
        if (!is_experiment(s.experiment)) {
            std::string names;
            for (const ExperimentInfo& e : experiments()) names += (names.empty() ? "" : ", ") + std::string(e.name);
            throw Error("experiment " + quote_json(j["experiment"]) + " does not exist: choose one of " + names);
        }
    }
    return s;
}

}  // namespace
}  // namespace lessons_detail

using nlohmann::json;
using namespace lessons_detail;

Lesson parse_lesson(const json& j, const std::string& file, const LessonVocabulary& vocab) {
    Lesson lesson;
    lesson.file = file;
    try {
        check_keys(j, {"schema", "title", "summary", "inputs", "steps"}, "the lesson");
        if (j.value("schema", json()) != kLessonSchema)
            throw Error(std::string("the lesson needs \"schema\": \"") + kLessonSchema + "\"");
        lesson.title = required_string(j, "title", "the lesson");
        if (j.contains("summary")) lesson.summary = required_string(j, "summary", "the lesson");
        if (j.contains("inputs")) lesson.inputs = j["inputs"];
        if (!j.contains("steps") || !j["steps"].is_array() || j["steps"].empty())
            throw Error("the lesson needs \"steps\": a non-empty list of steps");
    } catch (const Error& e) {
        throw Error(file + ": " + e.what());
    }
    StepState state;
    try {
        state = lesson_start(lesson);
    } catch (const Error& e) {
        throw Error(file + ": inputs: " + e.what());
    }
    DryRunCache cache;
    for (size_t i = 0; i < j["steps"].size(); ++i) {
        const json& step = j["steps"][i];
        const std::string title = step.is_object() && step.contains("title") ? " (" + quote_json(step["title"]) + ")" : "";
        try {
            lesson.steps.push_back(parse_step(step, vocab));
            advance_state(state, lesson.steps.back());
            dry_run(lesson.steps.back(), state, cache);
        } catch (const Error& e) {
            throw Error(file + ", step " + std::to_string(i + 1) + title + ": " + e.what());
        }
    }
    return lesson;
}

Lesson load_lesson(const std::filesystem::path& path, const LessonVocabulary& vocab) {
    const std::string file = path.filename().string();
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("cannot read lesson " + path.string() + ": check that the file exists and is readable");
    std::stringstream buffer;
    buffer << in.rdbuf();
    return parse_lesson(parse_json(buffer.str(), file, "fix the syntax at that place"), file, vocab);
}

LessonLibrary load_lessons(const std::filesystem::path& folder, const LessonVocabulary& vocab) {
    LessonLibrary library;
    std::error_code ec;
    if (!std::filesystem::is_directory(folder, ec)) {
        library.errors.push_back("no lessons folder at " + folder.string());
        return library;
    }
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(folder, ec))
        if (entry.path().extension() == ".json") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
        try {
            library.lessons.push_back(load_lesson(f, vocab));
        } catch (const Error& e) {
            library.errors.push_back(e.what());
        } catch (const std::exception& e) {  // out of memory, I/O: one bad file never stops the others
            library.errors.push_back(f.filename().string() + ": cannot load (" + e.what() + ")");
        }
    }
    if (library.lessons.empty() && library.errors.empty())
        library.errors.push_back("the lessons folder " + folder.string() + " has no .json files");
    return library;
}

}  // namespace attnscope
