#pragma once
// Lessons panel: guided lessons from assets/lessons/ that drive the other panels: each step sets
// the inputs and the view, explains with live numbers, may ask the student to do something and
// checks it, and may run a measured experiment in the background.
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "attnscope/lessons/experiments.hpp"
#include "attnscope/lessons/lesson.hpp"
#include "attnscope/trace.hpp"
#include "gui/edits.hpp"
#include "gui/job.hpp"
#include "gui/widgets/file_browser.hpp"

namespace attnscope::gui {

// Where an experiment's work posts its result: each request gets its own, so a superseded
// request's result never shows.
struct ExperimentSlot {
    std::mutex mutex;
    std::optional<ExperimentResult> result;
};

// The experiment the current step asked for, measured on a BackgroundJob.
struct ExperimentJob {
    std::string name;                         // wanted; empty: none
    ExperimentContext context;
    std::shared_ptr<ExperimentSlot> slot;     // the latest request's
    std::unique_ptr<BackgroundJob> job = std::make_unique<BackgroundJob>();
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
    // What the user had before the open lesson set its own inputs; leaving the lesson restores it.
    std::optional<Inputs> user_inputs;
    Selection user_view;
    bool wait_for_experiments = false;         // screenshots: finish an experiment within the frame
    std::string start_lesson;                  // attnscope render --lesson: open it on the first frame
    int start_step = 0;                        // (0-based)
    std::string open_file;                     // a lesson file to add and open on the next frame (browsed or dropped)
    FileBrowser browser;
};
Edits draw_lessons_panel(const Trace& trace, const Selection& sel, LessonsPanelState& state);

// Where the lessons are: $ATTNSCOPE_ASSETS/lessons, the source tree's assets/lessons, or
// <exe dir>/../share/attnscope/assets/lessons; the first that exists. `searched` lists them all.
std::string find_lessons_folder(std::vector<std::string>& searched);
// The step and panel ids a lesson may name (from steps.cpp and frame.cpp).
LessonVocabulary lesson_vocabulary();

}  // namespace attnscope::gui
