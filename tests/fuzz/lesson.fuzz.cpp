// libFuzzer target: any bytes as a lesson file (lessons/src/lesson.cpp: parse_lesson(parse_json(...))
// with the GUI's step and panel ids), which validates every step and runs the engine on each step's
// inputs (tasks.cpp: dry_run). Loading must either throw attnscope::Error or give a lesson with at
// least one step whose state can be walked step by step (lesson_start, advance_state) without an error,
// with the selected head within the step's heads. An Error's message may hold no control character but
// newline and tab (check_message.hpp: a terminal escape from a hostile file must come out quoted).
// Anything else (a crash, a sanitizer report, another exception type, a hang) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "attnscope/error.hpp"
#include "check_message.hpp"
#include "attnscope/json_input.hpp"
#include "attnscope/lessons/lesson.hpp"
#include "attnscope/lessons/state.hpp"
#include "gui/steps.hpp"

namespace {

// As app/gui/panels/lessons.cpp's lesson_vocabulary(): the step ids of app/gui/steps.cpp, and the
// panel ids of app/gui/panel_list.cpp (written out here: the panel list needs ImGui).
const attnscope::LessonVocabulary& vocabulary() {
    static const attnscope::LessonVocabulary v = [] {
        attnscope::LessonVocabulary v;
        for (int i = 0; i < attnscope::gui::kStepCount; ++i)
            v.steps.push_back(attnscope::gui::step_info(attnscope::gui::step_at(i)).id);
        v.panels = {"input",     "stepper", "attention", "softmax", "matrices", "multihead", "positional",
                    "export",    "compare", "lessons",   "model",   "training", "scaling"};
        return v;
    }();
    return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    attnscope::Lesson lesson;
    try {
        lesson = attnscope::parse_lesson(
            attnscope::parse_json(std::string(reinterpret_cast<const char*>(data), size), "fuzz.json", "fix the lesson"),
            "fuzz.json", vocabulary());
    } catch (const attnscope::Error& e) {
        check_message(e);
        return 0;
    }
    if (lesson.steps.empty()) __builtin_trap();
    // Loading checked every step: walking them again may not fail.
    attnscope::StepState state = attnscope::lesson_start(lesson);
    for (const attnscope::LessonStep& step : lesson.steps) {
        attnscope::advance_state(state, step);
        if (state.head < 0 || state.head >= state.inputs.heads || state.query < 0) __builtin_trap();
    }
    return 0;
}
