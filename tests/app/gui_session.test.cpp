// Tests app/gui/session.cpp: a session survives a round trip; a malformed file throws Error with a clear message.
#include <catch2/catch.hpp>

#include <string>

#include "attnscope/error.hpp"
#include "gui/app_state.hpp"
#include "gui/panels/input.hpp"
#include "gui/session.hpp"

using attnscope::Error;
using attnscope::Inputs;
using attnscope::gui::parse_session;
using attnscope::gui::Selection;
using attnscope::gui::Session;
using attnscope::gui::session_from_json;
using attnscope::gui::session_to_json;
using attnscope::gui::Step;
using nlohmann::json;

namespace {

Inputs unusual_inputs() {
    Inputs in;
    in.text = "自注意力机制让每个词关注序列中的其他词。";
    in.d_model = 48;
    in.heads = 6;
    in.seed = 123456789012345ull;
    in.pe = attnscope::Positional::Rope;
    in.mask = attnscope::Mask::CausalPadding;
    in.temperature = 0.37;
    in.bos = true;
    in.pad_to = 24;
    in.edits = {{"W_Q", 2, 3, 0.5}, {"positional", 0, 1, -1.25e-3}, {"K", 4, 0, 7.0}};
    return in;
}

json valid_session() { return session_to_json(Inputs{}, Selection{1, 3, Step::Softmax}); }

// Runs session_from_json on `j` and returns the Error's message ("" if it did not throw).
std::string error_of(const json& j) {
    try {
        session_from_json(j);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("a session round-trips every input and the view", "[session]") {
    const Inputs in = unusual_inputs();
    for (int s = 0; s < attnscope::gui::kStepCount; ++s) {
        const Selection sel{5, 17, attnscope::gui::step_at(s)};
        const Session back = session_from_json(session_to_json(in, sel));
        REQUIRE(back.inputs == in);
        REQUIRE(back.selection.head == 5);
        REQUIRE(back.selection.query == 17);
        REQUIRE(back.selection.step == sel.step);
    }
}

TEST_CASE("a session round-trips through its text, with cross-attention", "[session]") {
    Inputs in;
    in.text = "I love cats .";
    in.cross_text = "我爱猫。";
    in.mask = attnscope::Mask::Padding;
    const Session back = parse_session(session_to_json(in, {2, 1, Step::Mask}).dump(2));
    REQUIRE(back.inputs == in);
    REQUIRE(back.selection.step == Step::Mask);
}

TEST_CASE("the session file names its schema and the step by id", "[session]") {
    const json j = valid_session();
    REQUIRE(j.at("schema") == "attnscope.session/1");
    REQUIRE(j.at("view").at("step") == "softmax");
    REQUIRE(j.at("inputs").at("text") == Inputs{}.text);
}

TEST_CASE("text that is not JSON throws Error", "[session]") {
    REQUIRE_THROWS_AS(parse_session("{\"schema\": \"attnscope.session/1\", "), Error);
    REQUIRE_THROWS_AS(parse_session(""), Error);
    REQUIRE_THROWS_WITH(parse_session("not json at all"), Catch::Contains("not valid JSON"));
    // Hostile sessions: a view nested 200,000 deep, a number out of range (was an abort).
    REQUIRE_THROWS_WITH(parse_session("{\"view\": {\"head\": " + std::string(200000, '[') + "}}"),
                        Catch::Contains("nests deeper than 64 levels"));
    REQUIRE_THROWS_WITH(parse_session(R"({"schema": "attnscope.session/1", "view": {"head": 1e400}})"),
                        Catch::Contains("not valid JSON"));
}

TEST_CASE("a JSON document that is not a session throws Error", "[session]") {
    REQUIRE_THAT(error_of(json::array({1, 2})), Catch::Contains("JSON object"));
    REQUIRE_THAT(error_of(json{{"schema", "attnscope.trace/1"}}), Catch::Contains("not an attnscope session"));
    json no_schema = valid_session();
    no_schema.erase("schema");
    REQUIRE_THAT(error_of(no_schema), Catch::Contains("schema"));
    json no_view = valid_session();
    no_view.erase("view");
    REQUIRE_THAT(error_of(no_view), Catch::Contains("\"view\""));
    json inputs_array = valid_session();
    inputs_array["inputs"] = json::array();
    REQUIRE_THAT(error_of(inputs_array), Catch::Contains("\"inputs\""));
}

TEST_CASE("fields of the wrong type throw Error naming them", "[session]") {
    json j = valid_session();
    j["inputs"]["d_model"] = "sixty-four";
    REQUIRE_THAT(error_of(j), Catch::Contains("wrong type"));

    j = valid_session();
    j["inputs"]["edits"] = json::array({{{"matrix", "W_Q"}, {"row", "two"}, {"col", 0}, {"value", 1.0}}});
    REQUIRE_THAT(error_of(j), Catch::Contains("wrong type"));

    j = valid_session();
    j["view"]["head"] = "1";
    REQUIRE_THAT(error_of(j), Catch::Contains("view.head"));

    j = valid_session();
    j["view"]["query"] = 2.5;
    REQUIRE_THAT(error_of(j), Catch::Contains("view.query"));

    j = valid_session();
    j["view"]["step"] = 3;
    REQUIRE_THAT(error_of(j), Catch::Contains("view.step"));
}

TEST_CASE("an unknown step throws Error listing the steps", "[session]") {
    json j = valid_session();
    j["view"]["step"] = "sofmax";
    const std::string message = error_of(j);
    REQUIRE_THAT(message, Catch::Contains("sofmax"));
    REQUIRE_THAT(message, Catch::Contains("softmax"));
    REQUIRE_THAT(message, Catch::Contains("tokenize"));
}

TEST_CASE("values out of range throw Error", "[session]") {
    json j = valid_session();
    j["view"]["head"] = 4;  // the default inputs have 4 heads: 0..3
    REQUIRE_THAT(error_of(j), Catch::Contains("view.head (4)"));

    j = valid_session();
    j["view"]["query"] = -1;
    REQUIRE_THAT(error_of(j), Catch::Contains("view.query"));

    j = valid_session();
    j["inputs"]["heads"] = 5;  // does not divide d_model 64
    REQUIRE_THAT(error_of(j), Catch::Contains("must divide d_model"));

    j = valid_session();
    j["inputs"]["pe"] = "sinusiodal";
    REQUIRE_FALSE(error_of(j).empty());
}

TEST_CASE("applying a loaded session's inputs refreshes the Input panel's text boxes", "[session]") {
    attnscope::gui::AppState app;
    attnscope::gui::rerun(app);
    attnscope::gui::panel_state<attnscope::gui::InputPanelState>(app, "input").synced = true;  // as after the first frame: the boxes hold the old text
    Inputs loaded;
    loaded.text = "我爱猫，猫也爱我。";
    attnscope::gui::Edits e;
    e.inputs = loaded;
    e.step = Step::Softmax;
    attnscope::gui::apply(app, e);
    app.runner->wait_idle();
    attnscope::gui::poll_run(app);
    REQUIRE(app.trace);
    REQUIRE(app.trace->query.tokens.front() == "我");
    REQUIRE_FALSE(attnscope::gui::panel_state<attnscope::gui::InputPanelState>(app, "input").synced);  // next frame the panel copies the loaded text instead of restoring its own
}
