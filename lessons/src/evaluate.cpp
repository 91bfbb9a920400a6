// Expressions evaluated against the live Trace: names, head fields, indexing and operators
// (functions are functions.cpp). Shapes follow trace.hpp: per head (n, m) weights, (n, d_head) Q and output.
#include "evaluate.hpp"

#include <cmath>
#include <cstdio>
#include <string>

#include "attnscope/error.hpp"
#include "attnscope/json_input.hpp"

namespace attnscope {
namespace lessons_detail {

const char* kind_name(Value::Kind k) {
    switch (k) {
        case Value::Kind::Number: return "a number";
        case Value::Kind::Text: return "text";
        case Value::Kind::Matrix: return "a matrix";
        case Value::Kind::Tokens: return "a token list";
        case Value::Kind::Head: return "a head";
    }
    return "?";
}

const Matrix& matrix_of(const Value& v, Matrix& scratch, const std::string& where) {
    if (v.kind == Value::Kind::Number) return scratch = Matrix::Constant(1, 1, v.number);
    if (v.kind != Value::Kind::Matrix) throw Error(where + " needs a matrix or a row, not " + kind_name(v.kind));
    if (!v.ref) return v.owned;
    if (v.row < 0) return *v.ref;
    return scratch = v.ref->row(v.row);
}

double number_of(const Value& v, const std::string& where) {
    if (v.kind == Value::Kind::Number || v.kind == Value::Kind::Head) return v.number;
    if (v.kind == Value::Kind::Matrix) {
        Matrix scratch;
        const Matrix& m = matrix_of(v, scratch, where);
        if (m.size() == 1) return m(0, 0);
        throw Error(where + " needs a number, not a " + std::to_string(m.rows()) + " x " + std::to_string(m.cols()) +
                    " matrix: index it, e.g. [0]");
    }
    throw Error(where + " needs a number, not " + kind_name(v.kind));
}

int resolve_index(double raw, int size, const std::string& what) {
    if (raw != std::floor(raw)) throw Error("index " + std::to_string(raw) + " of " + what + " is not a whole number");
    const double i = raw < 0 ? raw + size : raw;  // checked as a double: 1e85 is no int
    if (!(i >= 0 && i < size)) {
        char shown[32];
        std::snprintf(shown, sizeof shown, "%.15g", raw);
        throw Error(std::string("index ") + shown + " is outside " + what + " (" + std::to_string(size) +
                    (size == 1 ? " entry" : " entries") + ")");
    }
    return static_cast<int>(i);
}

Value Evaluator::eval(const ExprNode& e) const {
    switch (e.kind) {
        case ExprNode::Kind::Number: return Value::of(e.number);
        case ExprNode::Kind::String: return Value::of_text(e.text);
        case ExprNode::Kind::Name: return name(e.text);
        case ExprNode::Kind::Field: return field(eval(*e.args[0]), e.text);
        case ExprNode::Kind::Index: return index(*e.args[0], eval(*e.args[1]));
        case ExprNode::Kind::Call: return call(e);
        case ExprNode::Kind::Unary: return unary(e);
        case ExprNode::Kind::Binary: return binary(e);
    }
    return {};
}

Value Evaluator::head_value(double raw) const {
    return Value::of_head(resolve_index(raw, static_cast<int>(t_.layers[0].heads.size()), "the heads"));
}

Value Evaluator::name(const std::string& n) const {
    const Inputs& in = t_.inputs;
    if (n == "n") return Value::of(t_.n());
    if (n == "m") return Value::of(t_.m());
    if (n == "d_model") return Value::of(in.d_model);
    if (n == "d_head") return Value::of(t_.d_head);
    if (n == "heads") return Value::of(in.heads);
    if (n == "temperature") return Value::of(in.temperature);
    if (n == "seed") return Value::of(static_cast<double>(in.seed));
    if (n == "query") return Value::of(s_.query);
    if (n == "flops") return Value::of(t_.has_variant() ? t_.layers[0].cost.flops : t_.layers[0].dense_cost.flops);
    if (n == "dense_flops") return Value::of(t_.layers[0].dense_cost.flops);
    if (n == "bytes") return Value::of(t_.has_variant() ? t_.layers[0].cost.bytes : t_.layers[0].dense_cost.bytes);
    if (n == "dense_bytes") return Value::of(t_.layers[0].dense_cost.bytes);
    if (n == "output_error") return Value::of(t_.layers[0].output_error);
    if (n == "text") return Value::of_text(in.text);
    if (n == "cross_text") return Value::of_text(in.cross_text);
    if (n == "pe") return Value::of_text(attnscope::name(in.pe));
    if (n == "mask") return Value::of_text(attnscope::name(in.mask));
    if (n == "variant") return Value::of_text(attnscope::name(in.variant.kind));
    if (n == "token" || n == "key_token") {
        Value v;
        v.kind = Value::Kind::Tokens, v.tokens = n == "token" ? &t_.query.tokens : &t_.keys.tokens;
        return v;
    }
    if (n == "head") return head_value(s_.head);
    if (const int h = head_literal(n); h >= 0) return head_value(h);
    return matrix(n);
}

Value Evaluator::matrix(const std::string& n) const {
    if (n == "embeddings") return Value::of_matrix(t_.query.embeddings);
    if (n == "positional") return Value::of_matrix(t_.query.positional);
    if (n == "input") return Value::of_matrix(t_.query.input);
    if (n == "key_embeddings") return Value::of_matrix(t_.keys.embeddings);
    if (n == "key_positional") return Value::of_matrix(t_.keys.positional);
    if (n == "key_input") return Value::of_matrix(t_.keys.input);
    if (n == "position_similarity") return Value::of_matrix(t_.position_similarity);
    if (n == "rope_angles") return Value::of_matrix(t_.rope_angles);
    if (n == "W_Q") return Value::of_matrix(t_.layers[0].W_Q);
    if (n == "W_K") return Value::of_matrix(t_.layers[0].W_K);
    if (n == "W_V") return Value::of_matrix(t_.layers[0].W_V);
    if (n == "W_O") return Value::of_matrix(t_.layers[0].W_O);
    if (n == "Q") return Value::of_matrix(t_.layers[0].Q);
    if (n == "K") return Value::of_matrix(t_.layers[0].K);
    if (n == "V") return Value::of_matrix(t_.layers[0].V);
    if (n == "concat") return Value::of_matrix(t_.layers[0].concat);
    if (n == "output") return Value::of_matrix(t_.layers[0].output);
    if (n == "exact_output") return Value::of_matrix(t_.has_variant() ? t_.layers[0].exact_output : t_.layers[0].output);
    if (n == "alibi_slopes") {
        Value v;
        v.kind = Value::Kind::Matrix;
        v.owned = Eigen::Map<const Matrix>(t_.layers[0].alibi_slopes.data(), 1, static_cast<int>(t_.layers[0].alibi_slopes.size()));
        v.is_row = true;
        return v;
    }
    throw Error("unknown name '" + n + "'");
}

Value Evaluator::field(const Value& base, const std::string& f) const {
    if (base.kind != Value::Kind::Head) throw Error("." + f + " needs a head (head0, head, heads[i]), not " + kind_name(base.kind));
    const HeadTrace& h = t_.layers[0].heads[static_cast<int>(base.number)];
    const VariantRecord* variant = h.variant ? &*h.variant : nullptr;
    if (f == "Q") return Value::of_matrix(h.Q);
    if (f == "K") return Value::of_matrix(h.K);
    if (f == "V") return Value::of_matrix(h.V);
    if (f == "scores") return Value::of_matrix(h.scores);
    if (f == "bias") return Value::of_matrix(h.bias);
    if (f == "scaled") return Value::of_matrix(h.scaled);
    if (f == "logits") return Value::of_matrix(h.logits);
    if (f == "attention") return Value::of_matrix(h.attention);
    if (f == "output") return Value::of_matrix(h.output);
    if (f == "exact_attention") return Value::of_matrix(variant ? variant->exact_attention : h.attention);
    return Value::of_matrix(variant ? variant->exact_output : h.output);
}

Value Evaluator::index(const ExprNode& base_node, const Value& at) const {
    const double raw = number_of(at, "an index");
    if (base_node.kind == ExprNode::Kind::Name && base_node.text == "heads") return head_value(raw);
    const Value base = eval(base_node);
    if (base.kind == Value::Kind::Tokens)
        return Value::of_text((*base.tokens)[resolve_index(raw, static_cast<int>(base.tokens->size()), "the tokens")]);
    if (base.kind != Value::Kind::Matrix) throw Error("cannot index " + std::string(kind_name(base.kind)));
    Matrix scratch;
    const Matrix& m = matrix_of(base, scratch, "an index");
    if (m.size() == 0) throw Error("cannot index an empty matrix (it is not in use with these inputs)");
    if (base.is_row) return Value::of(m(0, resolve_index(raw, static_cast<int>(m.cols()), "the row")));
    Value row;
    row.kind = Value::Kind::Matrix, row.is_row = true;
    const int i = resolve_index(raw, static_cast<int>(m.rows()), "the rows");
    if (base.ref && base.row < 0) row.ref = base.ref, row.row = i;
    else row.owned = m.row(i);
    return row;
}


Value Evaluator::unary(const ExprNode& e) const {
    const double x = number_of(eval(*e.args[0]), e.text);
    return Value::of(e.text == "-" ? -x : double(x == 0));
}

Value Evaluator::binary(const ExprNode& e) const {
    const Value a = eval(*e.args[0]);
    const std::string& op = e.text;
    if (op == "&&" && number_of(a, op) == 0) return Value::of(0);
    if (op == "||" && number_of(a, op) != 0) return Value::of(1);
    const Value b = eval(*e.args[1]);
    if (a.kind == Value::Kind::Text || b.kind == Value::Kind::Text) {
        if (op != "==" && op != "!=") throw Error("'" + op + "' needs numbers, not text");
        if (a.kind != b.kind)
            throw Error("'" + op + "' cannot compare " + kind_name(a.kind) + " with " + kind_name(b.kind));
        return Value::of((a.text == b.text) == (op == "=="));
    }
    const double x = number_of(a, "'" + op + "'"), y = number_of(b, "'" + op + "'");
    if (op == "+") return Value::of(x + y);
    if (op == "-") return Value::of(x - y);
    if (op == "*") return Value::of(x * y);
    if (op == "/") {
        if (y == 0) throw Error("division by zero");
        return Value::of(x / y);
    }
    if (op == "==") return Value::of(x == y);
    if (op == "!=") return Value::of(x != y);
    if (op == "<") return Value::of(x < y);
    if (op == "<=") return Value::of(x <= y);
    if (op == ">") return Value::of(x > y);
    if (op == ">=") return Value::of(x >= y);
    return Value::of(y != 0);  // && and || with a deciding second operand
}

}  // namespace lessons_detail

std::string Expression::text(const LessonScope& scope, int decimals, bool percent) const {
    using namespace lessons_detail;
    const Value v = Evaluator(scope).eval(*root_);
    if (v.kind == Value::Kind::Text) return v.text;
    return format_number(number_of(v, quote_json("{{" + source_ + "}}")), decimals, percent);
}

double Expression::number(const LessonScope& scope) const {
    using namespace lessons_detail;
    const double v = number_of(Evaluator(scope).eval(*root_), quote_json(source_));
    if (std::isnan(v)) throw Error(quote_json(source_) + " is not a number (NaN): check for 0/0, log or sqrt of a negative");
    return v;
}

bool Expression::holds(const LessonScope& scope) const {
    const double v = number(scope);
    if (!std::isfinite(v)) throw Error("the check " + quote_json(source_) + " is infinite: a check must be a comparison or a finite number");
    return v != 0.0;
}

}  // namespace attnscope
