#pragma once
// Lessons panel: guided lessons from assets/lessons/ that drive the other panels: each step sets
// the inputs and the view, explains with live numbers, may ask the student to do something and
// checks it, and may run a measured experiment in the background.
#include <future>
#include <optional>
#include <string>
#include <vector>

#include "attnscope/lessons/experiments.hpp"
#include "attnscope/lessons/lesson.hpp"
#include "attnscope/trace.hpp"
#include "gui/edits.hpp"

namespace attnscope::gui {

// An experiment the current step asked for, and the one running in the background. Only the
// latest request's result is kept; a running job is never abandoned (its future would block).
struct ExperimentJob {
    std::string name;                         // wanted; empty: none
    ExperimentContext context;
    int requested = 0, running = -1;          // generations: the latest request, the job in flight
    std::future<ExperimentResult> pending;
    std::optional<ExperimentResult> result;
    std::string error;
};

struct LessonsPanelState {
    bool loaded = false;
    std::string folder;                        // where the lessons were found
    std::vector<Lesson> lessons;
    std::vector<std::string> load_errors;
    int lesson = -1;                           // the open lesson; -1: the list
    int step = 0;
    std::vector<std::vector<bool>> done;       // [lesson][step]: visited, and its task passed
    std::string error;                         // setting up the current step failed
    bool show_hint = false;
    ExperimentJob experiment;
    bool wait_for_experiments = false;         // screenshots: finish an experiment within the frame
    std::string start_lesson;                  // attnscope render --lesson: open it on the first frame
    int start_step = 0;                        // (0-based)
};
Edits draw_lessons_panel(const Trace& trace, const Selection& sel, LessonsPanelState& state);

// Where the lessons are: $ATTNSCOPE_ASSETS/lessons, the source tree's assets/lessons, or
// <exe dir>/../share/attnscope/assets/lessons; the first that exists. `searched` lists them all.
std::string find_lessons_folder(std::vector<std::string>& searched);
// The step and panel ids a lesson may name (from steps.cpp and frame.cpp).
LessonVocabulary lesson_vocabulary();

}  // namespace attnscope::gui
