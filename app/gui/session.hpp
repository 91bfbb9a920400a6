#pragma once
// A session file: the inputs and the view (head, query, step), so that a user can
// save where they are and come back to it. Schema "attnscope.session/1":
//   {"schema": "attnscope.session/1",
//    "inputs": { ...as in the trace's config... },
//    "view": {"head": 0, "query": 3, "step": "softmax"}}
#include <nlohmann/json.hpp>
#include <string>

#include "attnscope/inputs.hpp"
#include "gui/edits.hpp"

namespace attnscope::gui {

inline constexpr const char* kSessionSchema = "attnscope.session/1";

struct Session {
    Inputs inputs;
    Selection selection;
};

nlohmann::json session_to_json(const Inputs& inputs, const Selection& selection);
// Throws attnscope::Error naming the bad field when the file is not a valid session.
Session session_from_json(const nlohmann::json& j);
// The same from a file's text; also throws Error when the text is not JSON.
Session parse_session(const std::string& text);
// What loading a session changes: the inputs and the view.
Edits session_edits(const Session& session);

}  // namespace attnscope::gui
