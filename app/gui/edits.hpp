#pragma once
// What panels hand back to the frame loop: a change to the inputs (the engine re-runs)
// or to the selection. Panels never change state themselves.
#include <optional>
#include <string>
#include <vector>

#include "attnscope/inputs.hpp"
#include "gui/steps.hpp"

namespace attnscope::gui {

// Shared by every panel: which head, which query row, which step of the forward pass.
struct Selection {
    int head = 0;
    int query = 0;
    Step step = Step::Tokenize;
    int layer = 0;  // the layer every panel shows: view state, choosing another never recomputes
};

struct Edits {
    std::optional<Inputs> inputs;  // the whole new Inputs
    std::optional<int> layer, head, query;
    std::optional<Step> step;
    std::optional<std::vector<VariantParams>> compared;  // the Compare panel's variants (at most 3)
    std::vector<std::string> open_panels;                 // panel ids whose windows to open (lessons)
    std::optional<std::string> workspace;                 // a workspace id to switch to (before open_panels)

    // Later edits win: only one widget changes per frame in practice.
    void merge(const Edits& later) {
        if (later.inputs) inputs = later.inputs;
        if (later.layer) layer = later.layer;
        if (later.head) head = later.head;
        if (later.query) query = later.query;
        if (later.step) step = later.step;
        if (later.compared) compared = later.compared;
        if (later.workspace) workspace = later.workspace;
        open_panels.insert(open_panels.end(), later.open_panels.begin(), later.open_panels.end());
    }
};

// An edit that sets one cell of an editable matrix (replacing an earlier edit of that cell).
inline Edits edit_cell(const Inputs& current, const std::string& matrix, int row, int col, double value) {
    Inputs next = current;
    std::erase_if(next.edits, [&](const Edit& e) { return e.matrix == matrix && e.row == row && e.col == col; });
    next.edits.push_back({matrix, row, col, value});
    Edits out;
    out.inputs = next;
    return out;
}

}  // namespace attnscope::gui
