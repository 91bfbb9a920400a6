// A step's task (prompt, check, hint, solution) read from its file, and the load-time run of every
// step: its text, its check and its solution are evaluated against the trace it sets up.
#include <string>

#include "attnscope/error.hpp"
#include "attnscope/json_input.hpp"
#include "attnscope/lessons/state.hpp"
#include "attnscope/run.hpp"
#include "validate.hpp"

namespace attnscope::lessons_detail {

using nlohmann::json;

namespace {

// {"argmax": {"head": 0, "row": 3}, "equals": 1} and {"symmetric": "head0.scores"} as expressions.
std::string check_source(const json& c) {
    if (c.is_string()) return c.get<std::string>();
    if (c.is_object() && c.contains("argmax")) {
        check_keys(c, {"argmax", "equals"}, "check");
        const json& a = c["argmax"];
        check_keys(a, {"head", "row"}, "check.argmax");
        if (!a.contains("head") || !a.contains("row") || !c.contains("equals") || !a["head"].is_number_integer() ||
            !a["row"].is_number_integer() || !c["equals"].is_number_integer())
            throw Error("write the check as {\"argmax\": {\"head\": 0, \"row\": 3}, \"equals\": 1}");
        return "argmax(heads[" + a["head"].dump() + "].attention[" + a["row"].dump() + "]) == " + c["equals"].dump();
    }
    if (c.is_object() && c.contains("symmetric")) {
        check_keys(c, {"symmetric"}, "check");
        if (!c["symmetric"].is_string()) throw Error("write the check as {\"symmetric\": \"head0.scores\"}");
        return "symmetric(" + c["symmetric"].get<std::string>() + ")";
    }
    throw Error("a check is an expression such as \"argmax(head0.attention[3]) == 1\", "
                "{\"argmax\": {\"head\": 0, \"row\": 3}, \"equals\": 1} or {\"symmetric\": \"head0.scores\"}");
}

void check_placeholders(const TextTemplate& text, const LessonScope& scope) {
    for (const TextPiece& p : text) {
        if (!p.expr) continue;
        try {
            (void)p.expr->text(scope, p.decimals, p.percent);
        } catch (const Error& e) {
            throw Error("placeholder " + quote_json("{{" + p.expr->source() + "}}") + ": " + e.what());
        }
    }
}

}  // namespace

LessonTask parse_task(const json& j) {
    check_keys(j, {"prompt", "check", "hint", "solution"}, "task");
    LessonTask t;
    t.prompt = parse_template(required_string(j, "prompt", "task"));
    if (!j.contains("check")) throw Error("task needs a \"check\", e.g. \"argmax(head0.attention[3]) == 1\"");
    t.check = Expression::parse(check_source(j["check"]));
    if (j.contains("hint")) t.hint = parse_template(required_string(j, "hint", "task"));
    if (j.contains("solution")) t.solution = j["solution"];
    return t;
}

void dry_run(const LessonStep& st, const StepState& s, DryRunCache& cache) {
    if (!cache.trace || cache.trace->inputs != s.inputs) cache.trace = run(s.inputs);
    const Trace& trace = *cache.trace;
    if (s.head >= trace.inputs.heads)
        throw Error("view.head " + std::to_string(s.head) + " does not exist: there are " +
                    std::to_string(trace.inputs.heads) + " heads");
    if (s.query >= trace.n())
        throw Error("view.query " + std::to_string(s.query) + " does not exist: there are " + std::to_string(trace.n()) +
                    " tokens");
    const LessonScope scope{trace, s.head, s.query};
    check_placeholders(st.text, scope);
    if (!st.task) return;
    check_placeholders(st.task->prompt, scope);
    check_placeholders(st.task->hint, scope);
    try {
        (void)st.task->check.number(scope);
    } catch (const Error& e) {
        throw Error("task check: " + std::string(e.what()));
    }
    if (st.task->solution) {
        const Trace solved = run(merge_inputs(s.inputs, *st.task->solution));
        if (!st.task->check.holds(LessonScope{solved, s.head, s.query}))
            throw Error("task: the solution does not pass the check " + quote_json(st.task->check.source()));
    }
}

}  // namespace attnscope::lessons_detail
