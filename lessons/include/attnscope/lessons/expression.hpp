#pragma once
// The small expression language of lesson text and task checks, evaluated against a live Trace.
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
//
// Parsing (lessons/src/expression.cpp) checks the syntax and every name; evaluation
// (lessons/src/evaluate.cpp, functions.cpp) reads the trace; templates (lessons/src/template.cpp)
// cut text into literal pieces and placeholders.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attnscope/trace.hpp"

namespace attnscope {

// What expressions are evaluated against: the trace and the student's selection.
struct LessonScope {
    const Trace& trace;
    int head = 0;
    int query = 0;
};

struct ExprNode;  // lessons/src/expression_tree.hpp

// A parsed expression. parse() checks its syntax and every name; evaluate() can still fail
// where the trace does not fit (an index past n, a head that does not exist).
class Expression {
public:
    static Expression parse(std::string_view source);  // throws Error naming the problem
    std::string text(const LessonScope& scope, int decimals = -1, bool percent = false) const;
    double number(const LessonScope& scope) const;  // throws Error unless the value is a number (not NaN)
    // A check: true for a finite non-zero value; throws Error for an infinite one (e.g. 1/0 would
    // otherwise always pass).
    bool holds(const LessonScope& scope) const;
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

}  // namespace attnscope
