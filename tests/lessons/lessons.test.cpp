// Tests lessons/src/ (expression, evaluate, functions, template, state, lesson, tasks): the placeholder
// language, partial inputs, the step state, malformed lesson files, and every shipped lesson in
// assets/lessons/ run headlessly step by step, with its placeholders, checks, solutions and experiments.
#include "attnscope/lessons/expression.hpp"
#include "attnscope/lessons/lesson.hpp"
#include "attnscope/lessons/state.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "attnscope/lessons/experiments.hpp"
#include "attnscope/run.hpp"
#include "../test_helpers.hpp"

namespace as = attnscope;
using as::Expression;
using as::LessonScope;
using nlohmann::json;

namespace {

// The GUI's ids (app/gui/steps.cpp and app/gui/frame.cpp); the GUI validates with its own lists too.
const as::LessonVocabulary kVocabulary{
    {"tokenize", "embed", "add-pe", "project", "split", "scores", "scale", "mask", "softmax", "weight-values", "concat",
     "output"},
    {"input", "stepper", "attention", "softmax", "matrices", "multihead", "positional", "export", "compare", "lessons"}};

as::Trace small_trace() {
    as::Inputs in;
    in.text = "the cat sat on the mat";
    in.d_model = 16;
    in.heads = 2;
    return as::run(in);
}

std::string eval(const std::string& expr, const as::Trace& t, int head = 0, int query = 0, int decimals = -1) {
    return Expression::parse(expr).text(LessonScope{t, head, query}, decimals);
}

double number(const std::string& expr, const as::Trace& t, int head = 0, int query = 0) {
    return Expression::parse(expr).number(LessonScope{t, head, query});
}

json minimal_lesson() {
    return json::parse(R"({"schema": "attnscope.lesson/1", "title": "T",
                           "steps": [{"title": "S", "text": "n = {{n}}"}]})");
}

// Writes `text` to a fresh temporary folder as NAME and loads it.
as::Lesson load_text(const std::string& name, const std::string& text) {
    const auto dir = std::filesystem::temp_directory_path() / "attnscope_lessons_test";
    std::filesystem::create_directories(dir);
    std::ofstream(dir / name) << text;
    return as::load_lesson(dir / name, kVocabulary);
}

}  // namespace

TEST_CASE("expressions read the trace: cells, rows, tokens, heads and the selection") {
    const as::Trace t = small_trace();
    REQUIRE(number("head0.attention[3][1]", t) == t.layers[0].heads[0].attention(3, 1));
    REQUIRE(number("heads[1].scores[2][4]", t) == t.layers[0].heads[1].scores(2, 4));
    REQUIRE(number("head.output[query][0]", t, 1, 4) == t.layers[0].heads[1].output(4, 0));
    REQUIRE(number("head", t, 1) == 1);
    REQUIRE(number("W_Q[2][3]", t) == t.layers[0].W_Q(2, 3));
    REQUIRE(number("input[-1][0]", t) == t.query.input(5, 0));
    REQUIRE(eval("token[1]", t) == "cat");
    REQUIRE(eval("key_token[-1]", t) == "mat");
    REQUIRE(number("n", t) == 6);
    REQUIRE(number("d_head", t) == 8);
    REQUIRE(eval("pe", t) == "sinusoidal");
    REQUIRE(number("query", t, 0, 3) == 3);
}

TEST_CASE("expressions compute: arithmetic, comparisons and functions") {
    const as::Trace t = small_trace();
    REQUIRE(number("1 + 2 * 3 - 4 / 2", t) == 5);
    REQUIRE(number("-(2 - 5)", t) == 3);
    // Decimal numbers, exponents included; a number ends where its digits do (1e+3+1 is 1001).
    REQUIRE(number("1e+3+1", t) == 1001);
    REQUIRE(number(".5 + 2.5e-1 * 4 + 1E1", t) == 11.5);
    REQUIRE(number("3-1", t) == 2);
    REQUIRE_ERROR(as::Expression::parse("0x10"), "unexpected \"x\"");
    REQUIRE(number("2 < 3 && !(1 > 2) || 0", t) == 1);
    REQUIRE(number("token[1] == 'cat'", t) == 1);
    REQUIRE(number("token[1] != 'cat'", t) == 0);
    REQUIRE(number("sqrt(d_head)", t) == std::sqrt(8.0));
    REQUIRE(number("dot(head0.Q[3], head0.K[1])", t) == Approx(t.layers[0].heads[0].scores(3, 1)).epsilon(1e-14));
    REQUIRE(number("sum(head1.attention[2])", t) == Approx(1.0).epsilon(1e-14));
    REQUIRE(number("entropy(head0, 3)", t) == as::row_entropy(t.layers[0].heads[0].attention, 3));
    REQUIRE(number("entropy(head0.attention[3])", t) == as::row_entropy(t.layers[0].heads[0].attention, 3));
    int best = 0;
    for (int j = 1; j < t.m(); ++j)
        if (t.layers[0].heads[0].attention(3, j) > t.layers[0].heads[0].attention(3, best)) best = j;
    REQUIRE(number("argmax(head0, 3)", t) == best);
    REQUIRE(number("argmax(head0.attention[3])", t) == best);
    REQUIRE(number("max(head0.attention[3])", t) == t.layers[0].heads[0].attention.row(3).maxCoeff());
    REQUIRE(number("max(2, 7)", t) == 7);
    REQUIRE(number("rows(head0.attention)", t) == 6);
    REQUIRE(number("rms(head0.scores)", t) == Approx(t.layers[0].heads[0].scores.norm() / 6).epsilon(1e-12));
    as::Inputs causal = t.inputs;
    causal.mask = as::Mask::Causal;
    const as::Trace tc = as::run(causal);
    REQUIRE(number("rms(head0.logits)", tc) == Approx(std::sqrt(tc.layers[0].heads[0].scaled.triangularView<Eigen::Lower>().toDenseMatrix().squaredNorm() / 21)).epsilon(1e-12));
    REQUIRE(number("cols(head0.Q)", t) == 8);
    REQUIRE(number("column(head0.V, 2)[4]", t) == t.layers[0].heads[0].V(4, 2));
    REQUIRE(number("symmetric(position_similarity)", t) == 1);
    REQUIRE(number("symmetric(head0.scores)", t) == 0);
    REQUIRE(number("asymmetry(head0.scores)", t) > 0);
    REQUIRE(number("upper_sum(head0.attention)", t) > 0);
}

TEST_CASE("expressions are formatted for reading") {
    const as::Trace t = small_trace();
    REQUIRE(eval("n", t) == "6");
    REQUIRE(eval("1 / 3", t) == "0.333");
    REQUIRE(eval("1 / 3", t, 0, 0, 2) == "0.33");
    REQUIRE(Expression::parse("1 / 4").text(LessonScope{t, 0, 0}, 1, true) == "25.0%");
    REQUIRE(eval("2621440", t) == "2,621,440");
    REQUIRE(eval("1234.5", t) == "1,235");
    REQUIRE(eval("0.00001234", t) == "1.23e-05");
    as::Inputs causal = t.inputs;
    causal.mask = as::Mask::Causal;
    REQUIRE(eval("head0.logits[0][1]", as::run(causal)) == "-∞");
}

TEST_CASE("expressions reject unknown names when parsed and bad indices when evaluated") {
    REQUIRE_ERROR(Expression::parse("entropi(head0, 3)"), "unknown function \"entropi\"");
    REQUIRE_ERROR(Expression::parse("atention"), "unknown name \"atention\"; known names: n, m");
    REQUIRE_ERROR(Expression::parse("head0.weights"), "unknown field \".weights\": a head has Q, K, V");
    REQUIRE_ERROR(Expression::parse("dot(head0.Q[1])"), "dot() takes 2 argument(s), not 1");
    REQUIRE_ERROR(Expression::parse("1 +"), "ends too early");
    REQUIRE_ERROR(Expression::parse("(1 + 2"), "expected ')'");
    REQUIRE_ERROR(Expression::parse("token[1] == 'cat"), "no closing '");
    const as::Trace t = small_trace();
    REQUIRE_ERROR(number("head7.attention[0][0]", t), "outside the heads (2 entries)");
    REQUIRE_ERROR(number("head0.attention[6][0]", t), "index 6 is outside the rows (6 entries)");
    // Beyond int: checked before any conversion (1e85 used to become an undefined int).
    REQUIRE_ERROR(number("head0.Q[1][6.5e85]", t), "index 6.5e+85 is outside");
    REQUIRE_ERROR(number("head0.attention[-4294967297][0]", t), "index -4294967297 is outside the rows");
    REQUIRE_ERROR(number("head0.attention[1]", t), "needs a number, not a 1 x 6 matrix");
    REQUIRE_ERROR(number("token[1] + 1", t), "'+' needs numbers, not text");
    REQUIRE_ERROR(number("token[1] == 1", t), "cannot compare text with a number");
    REQUIRE_ERROR(number("head0.bias[0][0]", t), "empty matrix");
    REQUIRE_ERROR(number("symmetric(head0.Q)", t), "needs a square matrix");
}

TEST_CASE("hostile expressions are refused with a message: deep nesting, long chains, division by zero") {
    auto repeat = [](const std::string& piece, int times) {
        std::string s;
        for (int i = 0; i < times; ++i) s += piece;
        return s;
    };
    // Each of these overflowed the stack (parsing, evaluating or freeing the tree).
    REQUIRE_ERROR(Expression::parse(repeat("(", 10000) + "1" + repeat(")", 10000)), "nested deeper than 64 levels");
    REQUIRE_ERROR(Expression::parse(repeat("-", 20000) + "1"), "nested deeper than 64 levels");
    REQUIRE_ERROR(Expression::parse(repeat("!", 20000) + "1"), "nested deeper than 64 levels");
    REQUIRE_ERROR(Expression::parse("1" + repeat("+1", 20000)), "more than 256 operations in a chain");
    REQUIRE_ERROR(Expression::parse("W_Q" + repeat("[0]", 200000)), "more than 256 operations in a chain");
    // The bounds leave room for what a lesson writes: 64 brackets and a 200-term sum parse and evaluate.
    const as::Trace t = small_trace();
    REQUIRE(number(repeat("(", 63) + "2" + repeat(")", 63), t) == 2);
    REQUIRE(number("1" + repeat("+1", 199), t) == 200);
    // The message quotes a long source cut short, never the whole of it.
    try {
        (void)Expression::parse(repeat("(", 10000) + "1");
        FAIL("parsed");
    } catch (const as::Error& e) {
        REQUIRE(std::string(e.what()).size() < 200);
    }
    // A check that divides by zero or is NaN can no longer pass silently.
    REQUIRE_ERROR(number("1/0", t), "division by zero");
    REQUIRE_ERROR(number("0/0", t), "division by zero");
    REQUIRE_ERROR(number("log(0-1)", t), "is not a number (NaN)");
    REQUIRE_ERROR(Expression::parse("exp(1000)").holds(LessonScope{t, 0, 0}), "is infinite");
    REQUIRE(Expression::parse("1/2 == 0.5").holds(LessonScope{t, 0, 0}));
    REQUIRE_FALSE(Expression::parse("0 * 5").holds(LessonScope{t, 0, 0}));
}

TEST_CASE("templates substitute live numbers and report broken placeholders in place") {
    const as::Trace t = small_trace();
    const as::TextTemplate text = as::parse_template("'{{token[query]}}' has {{n}} tokens; w = {{head.attention[query][1]:2}}");
    const std::string expected = "'on' has 6 tokens; w = ";
    const std::string out = as::render_plain(text, LessonScope{t, 0, 3});
    REQUIRE(out.rfind(expected, 0) == 0);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", t.layers[0].heads[0].attention(3, 1));
    REQUIRE(out == expected + buf);
    const auto pieces = as::render_template(as::parse_template("x {{token[9]}} y"), LessonScope{t, 0, 0});
    REQUIRE(pieces.size() == 3);
    REQUIRE(pieces[1].error);
    REQUIRE(pieces[1].text.find("index 9 is outside the tokens") != std::string::npos);
    REQUIRE_ERROR(as::parse_template("{{n"), "no closing }}");
    REQUIRE_ERROR(as::parse_template("{{n:x}}"), "write the format as :N");
    REQUIRE_ERROR(as::parse_template("{{nn}}"), "placeholder \"{{nn}}\": in \"nn\" at character 3: unknown name \"nn\"");
}

TEST_CASE("merge_inputs lays a partial object over the inputs") {
    as::Inputs base;
    base.edits.push_back({"W_Q", 0, 0, 1.0});
    const as::Inputs kept = as::merge_inputs(base, json::parse(R"({"text": "a b", "d_model": 8, "heads": 2})"));
    REQUIRE(kept.text == "a b");
    REQUIRE(kept.d_model == 8);
    REQUIRE(kept.edits == base.edits);  // not named: unchanged
    REQUIRE(kept.pe == base.pe);
    const as::Inputs edited = as::merge_inputs(base, json::parse(R"({"edits": ["W_K[1,2]=0.5", {"matrix": "V", "row": 0, "col": 1, "value": 2}]})"));
    REQUIRE(edited.edits.size() == 2);
    REQUIRE(edited.edits[0] == as::Edit{"W_K", 1, 2, 0.5});
    REQUIRE(edited.edits[1] == as::Edit{"V", 0, 1, 2.0});
    const as::Inputs variant = as::merge_inputs(base, json::parse(R"({"variant": "linformer", "variant_params": {"k": 8}})"));
    REQUIRE(variant.variant.kind == as::VariantKind::Linformer);
    REQUIRE(variant.variant.k == 8);
    REQUIRE(variant.variant.window == base.variant.window);
    REQUIRE_ERROR(as::merge_inputs(base, json::parse(R"({"dmodel": 8})")), "unknown input \"dmodel\": inputs are text");
    REQUIRE_ERROR(as::merge_inputs(base, json::parse(R"({"variant_params": {"kk": 8}})")), "unknown variant parameter \"kk\"");
    REQUIRE_ERROR(as::merge_inputs(base, json::parse(R"({"pe": "sinusodal"})")), "sinusodal");
    REQUIRE_ERROR(as::merge_inputs(base, json::parse(R"({"d_model": "eight"})")), "wrong type");
    REQUIRE_ERROR(as::merge_inputs(base, json::parse(R"({"edits": [3]})")), "an edit is");
}

TEST_CASE("lesson_state folds the lesson's and every earlier step's inputs, and set_equal copies a matrix") {
    json j = json::parse(R"({"schema": "attnscope.lesson/1", "title": "T",
        "inputs": {"text": "a b c", "d_model": 8, "heads": 2},
        "steps": [{"title": "1", "text": "x", "inputs": {"pe": "none"}, "view": {"head": 1, "query": 2, "step": "scores"}},
                  {"title": "2", "text": "x", "view": {"panels": ["attention"]}},
                  {"title": "3", "text": "x", "inputs": {"d_model": 16}, "set_equal": ["W_K", "W_Q"]},
                  {"title": "4", "text": "x", "inputs": {"edits": []}, "view": {"panel": "matrices"}}]})");
    const as::Lesson lesson = as::parse_lesson(j, "t.json", kVocabulary);
    const as::StepState s1 = as::lesson_state(lesson, 1);
    REQUIRE(s1.inputs.text == "a b c");
    REQUIRE(s1.inputs.pe == as::Positional::None);
    REQUIRE(s1.head == 1);
    REQUIRE(s1.query == 2);
    REQUIRE(!s1.step);  // the step's own view only
    REQUIRE(s1.panels == std::vector<std::string>{"attention"});
    const as::Trace t2 = as::run(as::lesson_state(lesson, 2).inputs);
    REQUIRE(t2.inputs.d_model == 16);
    test::require_near(t2.layers[0].W_K, t2.layers[0].W_Q, 0.0);
    const as::StepState s3 = as::lesson_state(lesson, 3);
    REQUIRE(s3.inputs.edits.empty());
    REQUIRE(s3.panels == std::vector<std::string>{"matrices"});
    REQUIRE_ERROR(as::lesson_state(lesson, 4), "has no step 5");
}

TEST_CASE("malformed lesson files give an error naming the file, the step and the problem") {
    REQUIRE_ERROR(load_text("broken.json", "{\"schema\": "), "broken.json is not valid JSON");
    // Hostile files: nesting 200,000 deep and a number out of range give messages, not a crash.
    REQUIRE_ERROR(load_text("deep.json", "{\"title\": " + std::string(200000, '[')), "deep.json nests deeper than 64 levels");
    REQUIRE_ERROR(load_text("huge.json", R"({"schema": "attnscope.lesson/1", "title": 1e400})"), "huge.json is not valid JSON");
    REQUIRE_ERROR(as::load_lesson("/nonexistent/x.json", kVocabulary), "cannot read lesson /nonexistent/x.json");

    json j = minimal_lesson();
    REQUIRE(as::parse_lesson(j, "ok.json", kVocabulary).steps.size() == 1);
    j.erase("title");
    REQUIRE_ERROR(as::parse_lesson(j, "a.json", kVocabulary), "a.json: the lesson needs a non-empty string \"title\"");
    j = minimal_lesson();
    j["schema"] = "attnscope.lesson/9";
    REQUIRE_ERROR(as::parse_lesson(j, "a.json", kVocabulary), "needs \"schema\": \"attnscope.lesson/1\"");
    j = minimal_lesson();
    j["colour"] = "red";
    REQUIRE_ERROR(as::parse_lesson(j, "a.json", kVocabulary), "unknown key \"colour\" in the lesson");
    j = minimal_lesson();
    j["steps"] = json::array();
    REQUIRE_ERROR(as::parse_lesson(j, "a.json", kVocabulary), "non-empty list of steps");

    auto step_error = [](const char* step_json, const std::string& phrase) {
        json l = minimal_lesson();
        l["steps"].push_back(json::parse(step_json));
        INFO(step_json);
        REQUIRE_ERROR(as::parse_lesson(l, "b.json", kVocabulary), phrase);
    };
    step_error(R"({"title": "S2", "text": "x", "view": {"step": "sofmax"}})",
               "b.json, step 2 (\"S2\"): view.step \"sofmax\" is not a step: choose one of tokenize, embed");
    step_error(R"({"title": "S2", "text": "x", "view": {"panel": "heatmap"}})", "view panel \"heatmap\" is not a panel");
    step_error(R"({"title": "S2", "text": "{{entropi(head0, 3)}}"})", "step 2 (\"S2\"): placeholder \"{{entropi(head0, 3)}}\"");
    step_error(R"({"title": "S2", "text": "{{token[40]}}"})", "placeholder \"{{token[40]}}\": index 40 is outside the tokens");
    step_error(R"({"title": "S2", "text": "x", "colour": 1})", "unknown key \"colour\" in the step");
    step_error(R"({"title": "S2"})", "the step needs a non-empty string \"text\"");
    step_error(R"({"title": "S2", "text": "x", "experiment": "nope"})", "experiment \"nope\" does not exist");
    step_error(R"({"title": "S2", "text": "x", "inputs": {"pe": "sinusodal"}})", "sinusodal");
    step_error(R"({"title": "S2", "text": "x", "inputs": {"heads": 5}})", "heads (5)");
    step_error(R"({"title": "S2", "text": "x", "view": {"query": 50}})", "view.query 50 does not exist");
    step_error(R"({"title": "S2", "text": "x", "task": {"prompt": "p"}})", "task needs a \"check\"");
    step_error(R"({"title": "S2", "text": "x", "task": {"prompt": "p", "check": {"argmax": {"head": 0}}}})",
               "write the check as {\"argmax\"");
    step_error(R"({"title": "S2", "text": "x", "task": {"prompt": "p", "check": "n > 100", "solution": {"text": "a b"}}})",
               "the solution does not pass the check \"n > 100\"");
    step_error(R"({"title": "S2", "text": "x", "set_equal": ["W_K"]})", "set_equal is [\"TO\", \"FROM\"]");
    // Views out of int range were read as head 0 (2^32) or -2147483648 (1e300).
    step_error(R"({"title": "S2", "text": "x", "view": {"head": 4294967296}})", "view.head is 4294967296: it must be a whole number from 0 to");
    step_error(R"({"title": "S2", "text": "x", "view": {"head": 1e300}})", "view.head is 1e+300: it must be a whole number");
    step_error(R"({"title": "S2", "text": "x", "view": {"head": -1}})", "view.head is -1");
    step_error(R"({"title": "S2", "text": "x", "task": {"prompt": "p", "check": "0/0"}})", "task check: division by zero");
    step_error(R"({"title": "S2", "text": "x", "task": {"prompt": "p", "check": "1/0"}})", "task check: division by zero");
}

TEST_CASE("a long lesson loads step by step, each step's state the same as lesson_state's") {
    // 3000 steps took 30 s when every step replayed all the steps before it; the state is now folded
    // once. Each step changes the text, so every step's trace is run and checked against its own state.
    json l = minimal_lesson();
    l["steps"] = json::array();
    for (int i = 0; i < 3000; ++i)
        l["steps"].push_back({{"title", "S" + std::to_string(i)},
                              {"text", "{{token[0]}} {{n}}"},
                              {"inputs", {{"text", "w" + std::to_string(i) + " x"}, {"d_model", 8}, {"heads", 2}}},
                              {"view", {{"query", i % 2}}}});
    const as::Lesson lesson = as::parse_lesson(l, "long.json", kVocabulary);
    REQUIRE(lesson.steps.size() == 3000);
    for (int i : {0, 1, 1234, 2999}) {
        const as::StepState s = as::lesson_state(lesson, i);
        REQUIRE(s.inputs.text == "w" + std::to_string(i) + " x");
        REQUIRE(s.query == i % 2);
    }
    // A step with a broken placeholder far down is still found.
    l["steps"][2500]["text"] = "{{token[7]}}";
    REQUIRE_ERROR(as::parse_lesson(l, "long.json", kVocabulary), "long.json, step 2501 (\"S2500\"): placeholder \"{{token[7]}}\"");
}

TEST_CASE("load_lessons loads the good files of a folder and reports the bad ones") {
    const auto dir = std::filesystem::temp_directory_path() / "attnscope_lessons_folder_test";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "01-good.json") << minimal_lesson().dump();
    std::ofstream(dir / "02-bad.json") << "not json";
    std::ofstream(dir / "notes.txt") << "ignored";
    const as::LessonLibrary lib = as::load_lessons(dir, kVocabulary);
    REQUIRE(lib.lessons.size() == 1);
    REQUIRE(lib.lessons[0].file == "01-good.json");
    REQUIRE(lib.errors.size() == 1);
    REQUIRE(lib.errors[0].find("02-bad.json is not valid JSON") != std::string::npos);
    REQUIRE(as::load_lessons(dir / "missing", kVocabulary).errors.at(0).find("no lessons folder") != std::string::npos);
}

TEST_CASE("every shipped lesson loads and runs step by step: placeholders, checks, solutions, experiments") {
    const std::filesystem::path folder = std::filesystem::path(ATTNSCOPE_SOURCE_ASSETS) / "lessons";
    const as::LessonLibrary lib = as::load_lessons(folder, kVocabulary);
    for (const std::string& e : lib.errors) FAIL_CHECK(e);
    REQUIRE(lib.errors.empty());
    REQUIRE(lib.lessons.size() >= 9);
    std::map<std::string, int> experiments_run;
    for (const as::Lesson& lesson : lib.lessons) {
        REQUIRE(!lesson.title.empty());
        for (int i = 0; i < static_cast<int>(lesson.steps.size()); ++i) {
            const as::LessonStep& step = lesson.steps[i];
            INFO(lesson.file << ", step " << i + 1 << " (" << step.title << ")");
            const as::StepState s = as::lesson_state(lesson, i);
            const as::Trace t = as::run(s.inputs);
            const LessonScope scope{t, s.head, s.query};
            for (const as::RenderedPiece& p : as::render_template(step.text, scope)) REQUIRE_FALSE(p.error);
            if (step.task) {
                for (const as::RenderedPiece& p : as::render_template(step.task->prompt, scope)) REQUIRE_FALSE(p.error);
                REQUIRE_FALSE(step.task->check.holds(scope));  // a task is not done before the student acts
                REQUIRE(step.task->solution);                  // every shipped task can be shown
                const as::Trace solved = as::run(as::solution_inputs(lesson, i));
                REQUIRE(step.task->check.holds(LessonScope{solved, s.head, s.query}));
            }
            if (step.experiment.empty() || experiments_run[step.experiment]++ > 0) continue;
            const as::ExperimentResult r = as::run_experiment(step.experiment, {s.inputs, s.head, s.query});
            REQUIRE(r.name == step.experiment);
            REQUIRE(!r.rows.empty());
            REQUIRE(!r.finding.empty());
        }
    }
    // The myths lesson tests every claim the issue lists with a measured experiment.
    for (const char* name : {"scale_by_n", "cost_vs_n", "shared_qk", "where_pe_enters", "gpt_causal", "low_rank_cost",
                             "entropy_vs_dk", "permutation_equivariance"})
        REQUIRE(experiments_run.count(name) == 1);
}
