#pragma once
// Guided lessons: files in assets/lessons/, parsed and validated here (no GUI).
//
// A lesson file (one per lesson, UTF-8 JSON, loaded in file-name order):
// {
//   "schema": "attnscope.lesson/1",
//   "title": "Why divide by sqrt(d_k)?",
//   "summary": "one line for the lesson list",                       (optional)
//   "inputs": { partial inputs },                                     (optional: the lesson's start)
//   "steps": [ {
//     "title": "Unscaled scores grow with d_k",
//     "text": "Query {{token[query]}} gives key 1 the score {{head.scores[query][1]}} ...",
//     "inputs": { partial inputs },                                   (optional)
//     "set_equal": ["W_K", "W_Q"],                                    (optional: edits W_K := W_Q cell by cell)
//     "view": {"step": "scores", "head": 0, "query": 3, "panels": ["attention"]},   (optional)
//     "task": {"prompt": "...", "check": "argmax(head0.attention[3]) == 1",
//              "hint": "...", "solution": { partial inputs }},         (optional)
//     "experiment": "entropy_vs_dk"                                    (optional, see experiments.hpp)
//   } ]
// }
//
// Partial inputs use the trace-config JSON of trace_json.hpp (text, cross_text, d_model, heads, seed,
// pe, mask, temperature, bos, pad_to, edits, variant, variant_params); an edit is an object
// {"matrix", "row", "col", "value"} or the CLI's string "W_Q[2,3]=0.5". Every step's state is
// deterministic: the defaults, then the lesson's inputs, then each step's inputs (and set_equal)
// up to and including this one; "edits" replaces the list, "variant_params" merges key by key.
// "view.panel" (one id) may stand for "view.panels".
//
// Text placeholders {{expr}} are evaluated against the live Trace, so the numbers follow what the
// student edits. {{expr:3}} prints 3 decimals, {{expr:%1}} a percentage with 1 decimal.
// Expressions (and task checks, which are true when nonzero):
//   numbers, 'strings', + - * /, unary - and !, == != < <= > >=, && ||, parentheses.
//   n, m, d_model, d_head, heads, temperature, seed, query (the selected query row),
//   flops, dense_flops, bytes, dense_bytes, output_error; text, cross_text, pe, mask, variant (strings).
//   token[i], key_token[i]: token strings (a negative index counts from the end).
//   embeddings, positional, input, key_embeddings, key_positional, key_input, position_similarity,
//   rope_angles, W_Q, W_K, W_V, W_O, Q, K, V, concat, output, exact_output, alibi_slopes (1 x H).
//   head (the selected head), head0, head1, ..., heads[i]; each has Q, K, V, scores, bias, scaled,
//   logits, attention, output, exact_attention, exact_output; used as a number, a head is its index.
//   M[i] is row i of a matrix M, M[i][j] a cell.
//   Functions: sqrt abs exp log (numbers); min max sum mean norm rms rows cols (matrices or numbers);
//   entropy(row) in nats, argmax(row) (-inf cells never win), dot(row, row), asymmetry(M) = max|M - M^T|,
//   symmetric(M) (asymmetry <= 1e-9 max|M|), upper_sum(M) = sum of the cells right of the diagonal,
//   column(M, j) (column j as a row);
//   entropy(h, i), argmax(h, i) read row i of head h's attention.
// A check may also be written {"argmax": {"head": 0, "row": 3}, "equals": 1} or {"symmetric": "head0.scores"}.
//
// Every file is validated when loaded: unknown keys, step or panel ids, experiments, placeholder
// names and partial inputs that do not run give an Error naming the file, the step and the fix.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "attnscope/inputs.hpp"
#include "attnscope/trace.hpp"

namespace attnscope {

inline constexpr const char* kLessonSchema = "attnscope.lesson/1";

// The names a lesson may use for GUI things; the engine knows none of them itself.
struct LessonVocabulary {
    std::vector<std::string> steps;   // step ids, e.g. "softmax"
    std::vector<std::string> panels;  // panel ids, e.g. "attention"
};

// What expressions are evaluated against: the trace and the student's selection.
struct LessonScope {
    const Trace& trace;
    int head = 0;
    int query = 0;
};

struct ExprNode;  // lessons.cpp

// A parsed expression. parse() checks its syntax and every name; evaluate() can still fail
// where the trace does not fit (an index past n, a head that does not exist).
class Expression {
public:
    static Expression parse(std::string_view source);  // throws Error naming the problem
    std::string text(const LessonScope& scope, int decimals = -1, bool percent = false) const;
    double number(const LessonScope& scope) const;  // throws Error unless the value is a number
    bool holds(const LessonScope& scope) const { return number(scope) != 0.0; }
    const std::string& source() const { return source_; }

private:
    std::shared_ptr<const ExprNode> root_;
    std::string source_;
};

// Step text: literal pieces and placeholders.
struct TextPiece {
    std::string literal;                // when expr is empty
    std::optional<Expression> expr;
    int decimals = -1;                  // -1: automatic
    bool percent = false;
};
using TextTemplate = std::vector<TextPiece>;
TextTemplate parse_template(std::string_view text);  // throws Error naming the bad placeholder

// The evaluated text: a placeholder that fails gives a piece with `error` set.
struct RenderedPiece {
    std::string text;
    bool value = false;  // came from a placeholder
    bool error = false;
};
std::vector<RenderedPiece> render_template(const TextTemplate& t, const LessonScope& scope);
std::string render_plain(const TextTemplate& t, const LessonScope& scope);  // errors inline as [error: ...]

struct LessonView {
    std::optional<std::string> step;
    std::optional<int> head, query;
    std::vector<std::string> panels;  // windows to open
};

struct LessonTask {
    TextTemplate prompt;  // may hold placeholders too
    TextTemplate hint;
    Expression check;
    std::optional<nlohmann::json> solution;  // partial inputs on top of the step's
};

struct LessonStep {
    std::string title;
    TextTemplate text;
    std::optional<nlohmann::json> inputs;           // partial inputs
    std::optional<std::pair<std::string, std::string>> set_equal;  // (to, from): to := from
    LessonView view;
    std::optional<LessonTask> task;
    std::string experiment;  // empty: none
};

struct Lesson {
    std::string file;   // the file name, for messages and --lesson
    std::string title;
    std::string summary;
    nlohmann::json inputs = nlohmann::json::object();
    std::vector<LessonStep> steps;
};

// Parses and validates one lesson; `file` names it in messages. Throws Error.
Lesson parse_lesson(const nlohmann::json& j, const std::string& file, const LessonVocabulary& vocabulary);
// Reads, parses and validates a file. Throws Error naming the file.
Lesson load_lesson(const std::filesystem::path& path, const LessonVocabulary& vocabulary);

// Every *.json in a folder, in file-name order; a bad file becomes one error, the others still load.
struct LessonLibrary {
    std::vector<Lesson> lessons;
    std::vector<std::string> errors;
};
LessonLibrary load_lessons(const std::filesystem::path& folder, const LessonVocabulary& vocabulary);

// `base` with a partial inputs object laid over it. Throws Error for unknown keys or bad values.
Inputs merge_inputs(const Inputs& base, const nlohmann::json& partial);

// The state a step sets up: the inputs folded from the lesson's start, and the view.
struct StepState {
    Inputs inputs;
    int head = 0, query = 0;                // the last head/query a step up to here chose
    std::optional<std::string> step;        // this step's own view step
    std::vector<std::string> panels;        // this step's own panels
};
StepState lesson_state(const Lesson& lesson, int step);  // throws Error where the inputs do not run
// Inputs with the task's solution applied (the step's task must have one).
Inputs solution_inputs(const Lesson& lesson, int step);

}  // namespace attnscope
