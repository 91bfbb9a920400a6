#pragma once
// Evaluating ExprNode trees against a Trace: values, and the Evaluator whose names, fields, indices
// and operators are in evaluate.cpp and whose functions (entropy, argmax, dot, sum, ...) are in
// functions.cpp. Shapes follow trace.hpp: per head (n, m) weights, (n, d_head) Q and output.
#include <string>
#include <vector>

#include "attnscope/lessons/expression.hpp"
#include "attnscope/matrix.hpp"
#include "expression_tree.hpp"

namespace attnscope::lessons_detail {

struct Value {
    enum class Kind { Number, Text, Matrix, Tokens, Head } kind = Kind::Number;
    double number = 0;
    std::string text;
    const Matrix* ref = nullptr;  // a matrix of the trace (not copied) ...
    int row = -1;                 // ... or one row of it
    Matrix owned;                 // a matrix computed here
    bool is_row = false;          // indexing picks a cell, not a row
    const std::vector<std::string>* tokens = nullptr;

    static Value of(double v) { Value x; x.number = v; return x; }
    static Value of_text(std::string s) { Value x; x.kind = Kind::Text, x.text = std::move(s); return x; }
    static Value of_matrix(const Matrix& m) { Value x; x.kind = Kind::Matrix, x.ref = &m; return x; }
    static Value of_head(int h) { Value x; x.kind = Kind::Head, x.number = h; return x; }
};

const char* kind_name(Value::Kind k);
// The value as a matrix without copying the trace's: a row is copied into `scratch`.
const Matrix& matrix_of(const Value& v, Matrix& scratch, const std::string& where);
double number_of(const Value& v, const std::string& where);
// A Python-style index: -1 is the last.
int resolve_index(double raw, int size, const std::string& what);

class Evaluator {
public:
    explicit Evaluator(const LessonScope& scope) : s_(scope), t_(scope.trace) {}

    Value eval(const ExprNode& e) const;

private:
    Value head_value(double raw) const;
    Value name(const std::string& n) const;
    Value matrix(const std::string& n) const;
    Value field(const Value& base, const std::string& f) const;
    Value index(const ExprNode& base_node, const Value& at) const;
    Value unary(const ExprNode& e) const;
    Value binary(const ExprNode& e) const;

    // functions.cpp
    Matrix row_argument(const ExprNode& e, Matrix& scratch) const;
    Value call(const ExprNode& e) const;
    static double reduce(const std::string& f, const Matrix& m);

    const LessonScope& s_;
    const Trace& t_;
};

}  // namespace attnscope::lessons_detail
