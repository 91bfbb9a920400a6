#include "gui/session.hpp"

#include <cstdint>

#include "attnscope/error.hpp"
#include "attnscope/json_input.hpp"
#include "attnscope/trace_json.hpp"

namespace attnscope::gui {
namespace {

using nlohmann::json;

const json& object_field(const json& j, const char* key) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_object())
        throw Error(std::string("the session has no \"") + key + "\" object: save a new session from the Export panel");
    return *it;
}

int whole_number(const json& view, const char* key, int lo, int hi) {
    const auto it = view.find(key);
    if (it == view.end() || !it->is_number_integer())
        throw Error(std::string("view.") + key + " must be a whole number" +
                    (it == view.end() ? " and is missing" : ", not " + quote_json(*it)));
    const bool in_range = it->is_number_unsigned() ? it->get<std::uint64_t>() <= static_cast<std::uint64_t>(hi) && hi >= 0
                                                    : it->get<long long>() >= lo && it->get<long long>() <= hi;
    if (!in_range)
        throw Error(std::string("view.") + key + " (" + quote_json(*it) + ") must be between " + std::to_string(lo) +
                    " and " + std::to_string(hi));
    return static_cast<int>(it->get<long long>());
}

Step step_field(const json& view) {
    const auto it = view.find("step");
    const std::string id = it != view.end() && it->is_string() ? it->get<std::string>() : "";
    if (const std::optional<Step> s = parse_step(id)) return *s;
    std::string ids;
    for (int i = 0; i < kStepCount; ++i) ids += (i ? ", " : "") + std::string(step_info(step_at(i)).id);
    throw Error("view.step " + (it == view.end() ? std::string("is missing") : "(" + quote_json(*it) + ") is unknown") +
                ": use one of " + ids);
}

}  // namespace

json session_to_json(const Inputs& inputs, const Selection& sel) {
    return {{"schema", kSessionSchema},
            {"inputs", inputs_to_json(inputs)},
            {"view", {{"head", sel.head}, {"query", sel.query}, {"step", step_info(sel.step).id}}}};
}

Session session_from_json(const json& j) {
    if (!j.is_object()) throw Error("a session is a JSON object, not " + std::string(j.type_name()) + ": choose a session file");
    const auto schema = j.find("schema");
    if (schema == j.end() || *schema != kSessionSchema)
        throw Error(std::string("not an attnscope session (\"schema\" must be \"") + kSessionSchema +
                    "\"): choose a file saved from the Export panel");
    Session s;
    s.inputs = inputs_from_json(object_field(j, "inputs"));
    validate(s.inputs);
    const json& view = object_field(j, "view");
    s.selection.head = whole_number(view, "head", 0, s.inputs.heads - 1);
    s.selection.query = whole_number(view, "query", 0, kMaxTokens - 1);  // the trace clamps it to the sentence
    s.selection.step = step_field(view);
    return s;
}

Session parse_session(const std::string& text) {
    return session_from_json(parse_json(text, "the session", "choose a session file"));
}

Edits session_edits(const Session& session) {
    Edits out;
    out.inputs = session.inputs;
    out.head = session.selection.head;
    out.query = session.selection.query;
    out.step = session.selection.step;
    return out;
}

}  // namespace attnscope::gui
