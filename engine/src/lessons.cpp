#include "attnscope/lessons.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "attnscope/error.hpp"
#include "attnscope/experiments.hpp"
#include "attnscope/run.hpp"
#include "attnscope/trace_json.hpp"

// Expressions are parsed once into a small tree (recursive descent) and evaluated every frame
// against the live Trace. Shapes follow trace.hpp: per head (n, m) weights, (n, d_head) Q and output.
namespace attnscope {

using nlohmann::json;

struct ExprNode {
    enum class Kind { Number, String, Name, Field, Index, Call, Unary, Binary };
    Kind kind = Kind::Number;
    double number = 0;
    std::string text;  // string literal, name, field, function or operator
    std::vector<std::shared_ptr<const ExprNode>> args;
};

namespace {

using Node = std::shared_ptr<const ExprNode>;

// --- names ---

const std::vector<std::string> kNumberNames = {"n", "m", "d_model", "d_head", "heads", "temperature", "seed", "query",
                                               "flops", "dense_flops", "bytes", "dense_bytes", "output_error"};
const std::vector<std::string> kTextNames = {"text", "cross_text", "pe", "mask", "variant"};
const std::vector<std::string> kTokenNames = {"token", "key_token"};
const std::vector<std::string> kMatrixNames = {
    "embeddings", "positional", "input", "key_embeddings", "key_positional", "key_input", "position_similarity",
    "rope_angles", "W_Q", "W_K", "W_V", "W_O", "Q", "K", "V", "concat", "output", "exact_output", "alibi_slopes"};
const std::vector<std::string> kHeadFields = {"Q",      "K",         "V",      "scores",          "bias",        "scaled",
                                              "logits", "attention", "output", "exact_attention", "exact_output"};
struct FunctionInfo {
    const char* name;
    int min_args, max_args;
};
const std::vector<FunctionInfo> kFunctions = {
    {"sqrt", 1, 1},    {"abs", 1, 1},       {"exp", 1, 1},       {"log", 1, 1},  {"min", 1, 2},
    {"max", 1, 2},     {"sum", 1, 1},       {"mean", 1, 1},      {"norm", 1, 1}, {"rows", 1, 1},
    {"cols", 1, 1},    {"entropy", 1, 2},   {"argmax", 1, 2},    {"dot", 2, 2},  {"asymmetry", 1, 1},
    {"symmetric", 1, 1}, {"upper_sum", 1, 1}, {"column", 2, 2}, {"rms", 1, 1}};

bool contains(const std::vector<std::string>& list, const std::string& s) {
    return std::find(list.begin(), list.end(), s) != list.end();
}

std::string join(const std::vector<std::string>& list) {
    std::string out;
    for (const std::string& s : list) out += (out.empty() ? "" : ", ") + s;
    return out;
}

// headN: the number N, or -1.
int head_literal(const std::string& name) {
    if (name.size() <= 4 || name.rfind("head", 0) != 0) return -1;
    for (size_t i = 4; i < name.size(); ++i)
        if (!std::isdigit(static_cast<unsigned char>(name[i]))) return -1;
    return name.size() > 7 ? -1 : std::stoi(name.substr(4));
}

bool known_name(const std::string& s) {
    return contains(kNumberNames, s) || contains(kTextNames, s) || contains(kTokenNames, s) || contains(kMatrixNames, s) ||
           s == "head" || head_literal(s) >= 0;
}

std::string known_names_message() {
    std::string functions;
    for (const FunctionInfo& f : kFunctions) functions += (functions.empty() ? "" : ", ") + std::string(f.name);
    return "known names: " + join(kNumberNames) + ", " + join(kTextNames) + ", token[i], key_token[i], " +
           join(kMatrixNames) + ", head, head0, head1, ..., heads[i]; functions: " + functions;
}

// --- parsing ---

class Parser {
public:
    explicit Parser(std::string_view s) : s_(s) {}

    Node parse() {
        Node e = parse_or();
        skip_space();
        if (pos_ < s_.size()) fail("unexpected '" + std::string(1, s_[pos_]) + "'");
        return e;
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw Error("in '" + std::string(s_) + "' at character " + std::to_string(pos_ + 1) + ": " + what);
    }
    void skip_space() {
        while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    }
    bool eat(std::string_view op) {
        skip_space();
        if (s_.substr(pos_, op.size()) != op) return false;
        pos_ += op.size();
        return true;
    }
    void expect(std::string_view op) {
        if (!eat(op)) fail("expected '" + std::string(op) + "'");
    }
    static Node make(ExprNode::Kind kind, std::string text, std::vector<Node> args = {}, double number = 0) {
        auto node = std::make_shared<ExprNode>();
        node->kind = kind, node->text = std::move(text), node->args = std::move(args), node->number = number;
        return node;
    }

    Node parse_or() {
        Node left = parse_and();
        while (eat("||")) left = make(ExprNode::Kind::Binary, "||", {left, parse_and()});
        return left;
    }
    Node parse_and() {
        Node left = parse_comparison();
        while (eat("&&")) left = make(ExprNode::Kind::Binary, "&&", {left, parse_comparison()});
        return left;
    }
    Node parse_comparison() {
        Node left = parse_sum();
        for (const char* op : {"==", "!=", "<=", ">=", "<", ">"})
            if (eat(op)) return make(ExprNode::Kind::Binary, op, {left, parse_sum()});
        return left;
    }
    Node parse_sum() {
        Node left = parse_product();
        for (;;) {
            if (eat("+")) left = make(ExprNode::Kind::Binary, "+", {left, parse_product()});
            else if (eat("-")) left = make(ExprNode::Kind::Binary, "-", {left, parse_product()});
            else return left;
        }
    }
    Node parse_product() {
        Node left = parse_unary();
        for (;;) {
            if (eat("*")) left = make(ExprNode::Kind::Binary, "*", {left, parse_unary()});
            else if (eat("/")) left = make(ExprNode::Kind::Binary, "/", {left, parse_unary()});
            else return left;
        }
    }
    Node parse_unary() {
        if (eat("-")) return make(ExprNode::Kind::Unary, "-", {parse_unary()});
        if (s_.substr(pos_, 2) != "!=" && eat("!")) return make(ExprNode::Kind::Unary, "!", {parse_unary()});
        return parse_postfix();
    }
    Node parse_postfix() {
        Node e = parse_primary();
        for (;;) {
            if (eat("[")) {
                Node index = parse_or();
                expect("]");
                e = make(ExprNode::Kind::Index, "", {e, index});
            } else if (eat(".")) {
                const std::string field = identifier();
                if (!contains(kHeadFields, field))
                    fail("unknown field '." + field + "': a head has " + join(kHeadFields));
                e = make(ExprNode::Kind::Field, field, {e});
            } else {
                return e;
            }
        }
    }
    std::string identifier() {
        skip_space();
        const size_t start = pos_;
        while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) ++pos_;
        if (start == pos_ || std::isdigit(static_cast<unsigned char>(s_[start]))) fail("expected a name");
        return std::string(s_.substr(start, pos_ - start));
    }
    Node parse_primary() {
        skip_space();
        if (pos_ >= s_.size()) fail("the expression ends too early");
        const char c = s_[pos_];
        if (eat("(")) {
            Node e = parse_or();
            expect(")");
            return e;
        }
        if (c == '\'') return parse_string();
        if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') return parse_number();
        const std::string name = identifier();
        if (eat("(")) return parse_call(name);
        if (!known_name(name)) fail("unknown name '" + name + "'; " + known_names_message());
        return make(ExprNode::Kind::Name, name);
    }
    Node parse_string() {
        const size_t end = s_.find('\'', pos_ + 1);
        if (end == std::string_view::npos) fail("the string has no closing '");
        std::string text(s_.substr(pos_ + 1, end - pos_ - 1));
        pos_ = end + 1;
        return make(ExprNode::Kind::String, text);
    }
    Node parse_number() {
        const std::string rest(s_.substr(pos_));
        size_t used = 0;
        double v = 0;
        try {
            v = std::stod(rest, &used);
        } catch (const std::exception&) {
            fail("cannot read a number");
        }
        pos_ += used;
        return make(ExprNode::Kind::Number, "", {}, v);
    }
    Node parse_call(const std::string& name) {
        const auto f = std::find_if(kFunctions.begin(), kFunctions.end(), [&](const FunctionInfo& i) { return name == i.name; });
        if (f == kFunctions.end()) fail("unknown function '" + name + "'; " + known_names_message());
        std::vector<Node> args;
        if (!eat(")")) {
            do args.push_back(parse_or());
            while (eat(","));
            expect(")");
        }
        const int count = static_cast<int>(args.size());
        if (count < f->min_args || count > f->max_args)
            fail(name + "() takes " + std::to_string(f->min_args) +
                 (f->max_args > f->min_args ? " or " + std::to_string(f->max_args) : "") + " argument(s), not " +
                 std::to_string(count));
        return make(ExprNode::Kind::Call, name, std::move(args));
    }

    std::string_view s_;
    size_t pos_ = 0;
};

// --- values ---

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

// The value as a matrix without copying the trace's: a row is copied into `scratch`.
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

// A Python-style index: -1 is the last.
int resolve_index(double raw, int size, const std::string& what) {
    if (raw != std::floor(raw)) throw Error("index " + std::to_string(raw) + " of " + what + " is not a whole number");
    const int i = static_cast<int>(raw) < 0 ? static_cast<int>(raw) + size : static_cast<int>(raw);
    if (i < 0 || i >= size)
        throw Error("index " + std::to_string(static_cast<int>(raw)) + " is outside " + what + " (" + std::to_string(size) +
                    (size == 1 ? " entry" : " entries") + ")");
    return i;
}

class Evaluator {
public:
    explicit Evaluator(const LessonScope& scope) : s_(scope), t_(scope.trace) {}

    Value eval(const ExprNode& e) const {
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

private:
    Value head_value(double raw) const {
        return Value::of_head(resolve_index(raw, static_cast<int>(t_.layers[0].heads.size()), "the heads"));
    }

    Value name(const std::string& n) const {
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

    Value matrix(const std::string& n) const {
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

    Value field(const Value& base, const std::string& f) const {
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

    Value index(const ExprNode& base_node, const Value& at) const {
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

    // entropy(h, i) and argmax(h, i) read row i of head h's attention.
    Matrix row_argument(const ExprNode& e, Matrix& scratch) const {
        const Value first = eval(*e.args[0]);
        if (e.args.size() == 2) {
            if (first.kind != Value::Kind::Head) throw Error(e.text + "(h, i) needs a head first, e.g. head0");
            const Matrix& A = t_.layers[0].heads[static_cast<int>(first.number)].attention;
            const int i = resolve_index(number_of(eval(*e.args[1]), e.text + "()"), static_cast<int>(A.rows()), "the rows");
            return A.row(i);
        }
        Matrix m = matrix_of(first, scratch, e.text + "()");
        if (m.rows() != 1) throw Error(e.text + "() needs one row, e.g. head0.attention[3], not " +
                                       std::to_string(m.rows()) + " rows");
        return m;
    }

    Value call(const ExprNode& e) const {
        const std::string& f = e.text;
        Matrix scratch, scratch2;
        if (f == "entropy" || f == "argmax") {
            const Matrix row = row_argument(e, scratch);
            if (f == "entropy") return Value::of(row_entropy(row, 0));
            int best = 0;
            for (int j = 1; j < row.cols(); ++j)
                if (row(0, j) > row(0, best)) best = j;
            return Value::of(best);
        }
        const Value a = eval(*e.args[0]);
        if (f == "dot") {
            const Matrix& x = matrix_of(a, scratch, "dot()");
            const Matrix& y = matrix_of(eval(*e.args[1]), scratch2, "dot()");
            if (x.rows() != 1 || y.rows() != 1 || x.cols() != y.cols())
                throw Error("dot() needs two rows of the same length, e.g. dot(head0.Q[3], head0.K[1])");
            return Value::of(x.row(0).dot(y.row(0)));
        }
        if (f == "column") {
            const Matrix& m = matrix_of(a, scratch, "column()");
            Value col;
            col.kind = Value::Kind::Matrix, col.is_row = true;
            col.owned = m.col(resolve_index(number_of(eval(*e.args[1]), "column()"), static_cast<int>(m.cols()),
                                            "the columns")).transpose();
            return col;
        }
        if ((f == "min" || f == "max") && e.args.size() == 2) {
            const double x = number_of(a, f + "()"), y = number_of(eval(*e.args[1]), f + "()");
            return Value::of(f == "min" ? std::min(x, y) : std::max(x, y));
        }
        if (f == "sqrt" || f == "abs" || f == "exp" || f == "log") {
            const double x = number_of(a, f + "()");
            return Value::of(f == "sqrt" ? std::sqrt(x) : f == "abs" ? std::abs(x) : f == "exp" ? std::exp(x) : std::log(x));
        }
        return Value::of(reduce(f, matrix_of(a, scratch, f + "()")));
    }

    static double reduce(const std::string& f, const Matrix& m) {
        if (f == "rows") return m.rows();
        if (f == "cols") return m.cols();
        if (f == "asymmetry" || f == "symmetric" || f == "upper_sum") {
            if (m.rows() != m.cols())
                throw Error(f + "() needs a square matrix, not " + std::to_string(m.rows()) + " x " + std::to_string(m.cols()));
            if (f == "asymmetry") return max_asymmetry(m);
            if (f == "symmetric") return max_asymmetry(m) <= 1e-9 * std::max(1.0, finite_max_abs(m));
            double s = 0;
            for (int i = 0; i < m.rows(); ++i)
                for (int j = i + 1; j < m.cols(); ++j) s += m(i, j);
            return s;
        }
        if (m.size() == 0) throw Error(f + "() of an empty matrix");
        if (f == "rms") {  // the typical size of the finite cells (masked logits left out)
            double sq = 0;
            int count = 0;
            for (int i = 0; i < m.size(); ++i)
                if (std::isfinite(m.data()[i])) sq += m.data()[i] * m.data()[i], ++count;
            return count > 0 ? std::sqrt(sq / count) : 0.0;
        }
        double lo = INFINITY, hi = -INFINITY, sum = 0, sq = 0;
        for (int i = 0; i < m.size(); ++i) {
            const double v = m.data()[i];
            lo = std::min(lo, v), hi = std::max(hi, v), sum += v, sq += v * v;
        }
        if (f == "min") return lo;
        if (f == "max") return hi;
        if (f == "sum") return sum;
        if (f == "mean") return sum / m.size();
        return std::sqrt(sq);  // norm
    }

    static double finite_max_abs(const Matrix& m) {
        double v = 0;
        for (int i = 0; i < m.size(); ++i)
            if (std::isfinite(m.data()[i])) v = std::max(v, std::abs(m.data()[i]));
        return v;
    }

    Value unary(const ExprNode& e) const {
        const double x = number_of(eval(*e.args[0]), e.text);
        return Value::of(e.text == "-" ? -x : double(x == 0));
    }

    Value binary(const ExprNode& e) const {
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
        if (op == "/") return Value::of(x / y);
        if (op == "==") return Value::of(x == y);
        if (op == "!=") return Value::of(x != y);
        if (op == "<") return Value::of(x < y);
        if (op == "<=") return Value::of(x <= y);
        if (op == ">") return Value::of(x > y);
        if (op == ">=") return Value::of(x >= y);
        return Value::of(y != 0);  // && and || with a deciding second operand
    }

    const LessonScope& s_;
    const Trace& t_;
};

std::string group_thousands(long long v) {
    std::string digits = std::to_string(std::llabs(v)), out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return (v < 0 ? "-" : "") + out;
}

std::string format_number(double v, int decimals, bool percent) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v < 0 ? "-∞" : "∞";
    char buf[64];
    if (percent) {
        std::snprintf(buf, sizeof buf, "%.*f%%", std::max(decimals, 0), 100 * v);
        return buf;
    }
    if (decimals >= 0) {
        std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
        return buf;
    }
    const double a = std::abs(v);
    if (v == std::round(v) && a < 1e15) return a >= 10000 ? group_thousands(static_cast<long long>(v)) : std::to_string(static_cast<long long>(v));
    if (a >= 1000 && a < 1e15) return group_thousands(std::llround(v));
    if (a >= 100) std::snprintf(buf, sizeof buf, "%.1f", v);
    else if (a >= 1e-3) std::snprintf(buf, sizeof buf, "%.3g", v);
    else std::snprintf(buf, sizeof buf, "%.2e", v);
    return buf;
}

}  // namespace

// --- Expression ---

Expression Expression::parse(std::string_view source) {
    Expression e;
    e.source_ = std::string(source);
    e.root_ = Parser(source).parse();
    return e;
}

std::string Expression::text(const LessonScope& scope, int decimals, bool percent) const {
    const Value v = Evaluator(scope).eval(*root_);
    if (v.kind == Value::Kind::Text) return v.text;
    return format_number(number_of(v, "{{" + source_ + "}}"), decimals, percent);
}

double Expression::number(const LessonScope& scope) const {
    return number_of(Evaluator(scope).eval(*root_), "'" + source_ + "'");
}

// --- templates ---

TextTemplate parse_template(std::string_view text) {
    TextTemplate out;
    size_t pos = 0;
    while (pos < text.size()) {
        const size_t open = text.find("{{", pos);
        if (open == std::string_view::npos) {
            out.push_back({std::string(text.substr(pos)), std::nullopt});
            break;
        }
        if (open > pos) out.push_back({std::string(text.substr(pos, open - pos)), std::nullopt});
        const size_t close = text.find("}}", open + 2);
        if (close == std::string_view::npos)
            throw Error("the placeholder at character " + std::to_string(open + 1) + " has no closing }}");
        std::string_view inner = text.substr(open + 2, close - open - 2);
        TextPiece piece;
        if (const size_t colon = inner.find(':'); colon != std::string_view::npos) {
            std::string_view format = inner.substr(colon + 1);
            inner = inner.substr(0, colon);
            piece.percent = !format.empty() && format[0] == '%';
            if (piece.percent) format.remove_prefix(1);
            if (format.empty() || format.size() > 2 ||
                !std::all_of(format.begin(), format.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
                throw Error("{{" + std::string(text.substr(open + 2, close - open - 2)) +
                            "}}: write the format as :N (N decimals) or :%N (a percentage)");
            piece.decimals = std::stoi(std::string(format));
        }
        try {
            piece.expr = Expression::parse(inner);
        } catch (const Error& e) {
            throw Error("placeholder {{" + std::string(inner) + "}}: " + e.what());
        }
        out.push_back(std::move(piece));
        pos = close + 2;
    }
    return out;
}

std::vector<RenderedPiece> render_template(const TextTemplate& t, const LessonScope& scope) {
    std::vector<RenderedPiece> out;
    for (const TextPiece& p : t) {
        if (!p.expr) {
            out.push_back({p.literal, false, false});
            continue;
        }
        try {
            out.push_back({p.expr->text(scope, p.decimals, p.percent), true, false});
        } catch (const Error& e) {
            out.push_back({"[{{" + p.expr->source() + "}}: " + e.what() + "]", true, true});
        }
    }
    return out;
}

std::string render_plain(const TextTemplate& t, const LessonScope& scope) {
    std::string out;
    for (const RenderedPiece& p : render_template(t, scope)) out += p.text;
    return out;
}

// --- inputs ---

namespace {

const std::vector<std::string> kInputKeys = {"text", "cross_text", "d_model", "heads",     "seed",  "pe",
                                             "mask", "temperature", "bos",   "pad_to", "edits", "variant",
                                             "variant_params"};

json edit_to_json(const json& e) {
    if (e.is_string()) {
        const Edit parsed = parse_edit(e.get<std::string>());
        return {{"matrix", parsed.matrix}, {"row", parsed.row}, {"col", parsed.col}, {"value", parsed.value}};
    }
    if (!e.is_object() || !e.contains("matrix") || !e.contains("row") || !e.contains("col") || !e.contains("value"))
        throw Error("an edit is {\"matrix\": \"W_Q\", \"row\": 2, \"col\": 3, \"value\": 0.5} or \"W_Q[2,3]=0.5\", not " +
                    e.dump());
    return e;
}

}  // namespace

Inputs merge_inputs(const Inputs& base, const json& partial) {
    if (!partial.is_object()) throw Error("inputs must be an object such as {\"text\": \"the cat sat\"}, not " + partial.dump());
    json merged = inputs_to_json(base);
    for (const auto& [key, value] : partial.items()) {
        if (!contains(kInputKeys, key)) throw Error("unknown input '" + key + "': inputs are " + join(kInputKeys));
        if (key == "variant_params") {
            if (!value.is_object()) throw Error("variant_params must be an object such as {\"k\": 8}");
            for (const auto& [p, v] : value.items()) {
                if (!merged["variant_params"].contains(p)) {
                    std::vector<std::string> names;
                    for (const auto& [known, unused] : merged["variant_params"].items()) names.push_back(known);
                    throw Error("unknown variant parameter '" + p + "': parameters are " + join(names));
                }
                merged["variant_params"][p] = v;
            }
        } else if (key == "edits") {
            if (!value.is_array()) throw Error("edits must be a list, e.g. [\"W_Q[2,3]=0.5\"]");
            json edits = json::array();
            for (const json& e : value) edits.push_back(edit_to_json(e));
            merged["edits"] = edits;
        } else {
            merged[key] = value;
        }
    }
    return inputs_from_json(merged);
}

StepState lesson_state(const Lesson& lesson, int step) {
    if (step < 0 || step >= static_cast<int>(lesson.steps.size()))
        throw Error(lesson.file + " has no step " + std::to_string(step + 1) + ": it has " +
                    std::to_string(lesson.steps.size()));
    StepState s;
    s.inputs = merge_inputs(Inputs{}, lesson.inputs);
    for (int i = 0; i <= step; ++i) {
        const LessonStep& st = lesson.steps[i];
        if (st.inputs) s.inputs = merge_inputs(s.inputs, *st.inputs);
        if (st.set_equal) s.inputs = with_matrix_copied(s.inputs, st.set_equal->first, st.set_equal->second);
        if (st.view.head) s.head = *st.view.head;
        if (st.view.query) s.query = *st.view.query;
    }
    s.step = lesson.steps[step].view.step;
    s.panels = lesson.steps[step].view.panels;
    return s;
}

Inputs solution_inputs(const Lesson& lesson, int step) {
    const LessonStep& st = lesson.steps.at(step);
    if (!st.task || !st.task->solution) throw Error(lesson.file + " step " + std::to_string(step + 1) + " has no solution");
    return merge_inputs(lesson_state(lesson, step).inputs, *st.task->solution);
}

// --- lesson files ---

namespace {

void check_keys(const json& j, const std::vector<std::string>& allowed, const std::string& what) {
    if (!j.is_object()) throw Error(what + " must be a JSON object");
    for (const auto& [key, unused] : j.items())
        if (!contains(allowed, key)) throw Error("unknown key '" + key + "' in " + what + ": use " + join(allowed));
}

std::string required_string(const json& j, const std::string& key, const std::string& what) {
    if (!j.contains(key) || !j[key].is_string() || j[key].get<std::string>().empty())
        throw Error(what + " needs a non-empty string \"" + key + "\"");
    return j[key].get<std::string>();
}

int non_negative_int(const json& j, const std::string& key) {
    if (!j[key].is_number_integer() || j[key].get<int>() < 0) throw Error("view." + key + " must be a whole number >= 0");
    return j[key].get<int>();
}

LessonView parse_view(const json& j, const LessonVocabulary& vocab) {
    check_keys(j, {"step", "head", "query", "panel", "panels"}, "view");
    LessonView v;
    if (j.contains("step")) {
        const std::string step = j["step"].is_string() ? j["step"].get<std::string>() : "";
        if (!contains(vocab.steps, step))
            throw Error("view.step " + j["step"].dump() + " is not a step: choose one of " + join(vocab.steps));
        v.step = step;
    }
    if (j.contains("head")) v.head = non_negative_int(j, "head");
    if (j.contains("query")) v.query = non_negative_int(j, "query");
    json panels = json::array();
    if (j.contains("panel")) panels.push_back(j["panel"]);
    if (j.contains("panels")) {
        if (!j["panels"].is_array()) throw Error("view.panels must be a list of panel ids");
        for (const json& p : j["panels"]) panels.push_back(p);
    }
    for (const json& p : panels) {
        if (!p.is_string() || !contains(vocab.panels, p.get<std::string>()))
            throw Error("view panel " + p.dump() + " is not a panel: choose from " + join(vocab.panels));
        v.panels.push_back(p.get<std::string>());
    }
    return v;
}

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

LessonStep parse_step(const json& j, const LessonVocabulary& vocab) {
    check_keys(j, {"title", "text", "inputs", "set_equal", "view", "task", "experiment"}, "the step");
    LessonStep s;
    s.title = required_string(j, "title", "the step");
    s.text = parse_template(required_string(j, "text", "the step"));
    if (j.contains("inputs")) s.inputs = j["inputs"];
    if (j.contains("set_equal")) {
        const json& e = j["set_equal"];
        if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_string())
            throw Error("set_equal is [\"TO\", \"FROM\"], e.g. [\"W_K\", \"W_Q\"]");
        s.set_equal = {e[0].get<std::string>(), e[1].get<std::string>()};
    }
    if (j.contains("view")) s.view = parse_view(j["view"], vocab);
    if (j.contains("task")) s.task = parse_task(j["task"]);
    if (j.contains("experiment")) {
        s.experiment = j["experiment"].is_string() ? j["experiment"].get<std::string>() : "";
        if (!is_experiment(s.experiment)) {
            std::string names;
            for (const ExperimentInfo& e : experiments()) names += (names.empty() ? "" : ", ") + std::string(e.name);
            throw Error("experiment " + j["experiment"].dump() + " does not exist: choose one of " + names);
        }
    }
    return s;
}

void check_placeholders(const TextTemplate& text, const LessonScope& scope) {
    for (const TextPiece& p : text) {
        if (!p.expr) continue;
        try {
            (void)p.expr->text(scope, p.decimals, p.percent);
        } catch (const Error& e) {
            throw Error("placeholder {{" + p.expr->source() + "}}: " + e.what());
        }
    }
}

// Runs the step's state as the panel would set it up and evaluates its text and check, so that a
// lesson that cannot run fails when it loads, not in front of a student.
void dry_run(const Lesson& lesson, int i) {
    const LessonStep& st = lesson.steps[i];
    const StepState s = lesson_state(lesson, i);
    const Trace trace = run(s.inputs);
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
        const Trace solved = run(solution_inputs(lesson, i));
        if (!st.task->check.holds(LessonScope{solved, s.head, s.query}))
            throw Error("task: the solution does not pass the check '" + st.task->check.source() + "'");
    }
}

}  // namespace

Lesson parse_lesson(const json& j, const std::string& file, const LessonVocabulary& vocab) {
    Lesson lesson;
    lesson.file = file;
    try {
        check_keys(j, {"schema", "title", "summary", "inputs", "steps"}, "the lesson");
        if (j.value("schema", json()) != kLessonSchema)
            throw Error(std::string("the lesson needs \"schema\": \"") + kLessonSchema + "\"");
        lesson.title = required_string(j, "title", "the lesson");
        if (j.contains("summary")) lesson.summary = required_string(j, "summary", "the lesson");
        if (j.contains("inputs")) lesson.inputs = j["inputs"];
        if (!j.contains("steps") || !j["steps"].is_array() || j["steps"].empty())
            throw Error("the lesson needs \"steps\": a non-empty list of steps");
    } catch (const Error& e) {
        throw Error(file + ": " + e.what());
    }
    for (size_t i = 0; i < j["steps"].size(); ++i) {
        const json& step = j["steps"][i];
        const std::string title = step.is_object() && step.contains("title") ? " (" + step["title"].dump() + ")" : "";
        try {
            lesson.steps.push_back(parse_step(step, vocab));
            dry_run(lesson, static_cast<int>(i));
        } catch (const Error& e) {
            throw Error(file + ", step " + std::to_string(i + 1) + title + ": " + e.what());
        }
    }
    return lesson;
}

Lesson load_lesson(const std::filesystem::path& path, const LessonVocabulary& vocab) {
    const std::string file = path.filename().string();
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("cannot read lesson " + path.string() + ": check that the file exists and is readable");
    std::stringstream buffer;
    buffer << in.rdbuf();
    json j;
    try {
        j = json::parse(buffer.str());
    } catch (const json::parse_error& e) {
        throw Error(file + " is not valid JSON (" + e.what() + "): fix the syntax at that place");
    }
    return parse_lesson(j, file, vocab);
}

LessonLibrary load_lessons(const std::filesystem::path& folder, const LessonVocabulary& vocab) {
    LessonLibrary library;
    std::error_code ec;
    if (!std::filesystem::is_directory(folder, ec)) {
        library.errors.push_back("no lessons folder at " + folder.string());
        return library;
    }
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(folder, ec))
        if (entry.path().extension() == ".json") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
        try {
            library.lessons.push_back(load_lesson(f, vocab));
        } catch (const Error& e) {
            library.errors.push_back(e.what());
        }
    }
    if (library.lessons.empty() && library.errors.empty())
        library.errors.push_back("the lessons folder " + folder.string() + " has no .json files");
    return library;
}

}  // namespace attnscope
