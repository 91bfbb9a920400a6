// The expression language's syntax: names, functions and a recursive-descent parser into ExprNode
// trees (expression_tree.hpp). Evaluation is evaluate.cpp.
#include "attnscope/lessons/expression.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "attnscope/error.hpp"
#include "attnscope/json_input.hpp"
#include "expression_tree.hpp"
#include "strings.hpp"

namespace attnscope {
namespace lessons_detail {

// headN: the number N, or -1.
int head_literal(const std::string& name) {
    if (name.size() <= 4 || name.rfind("head", 0) != 0) return -1;
    for (size_t i = 4; i < name.size(); ++i)
        if (!std::isdigit(static_cast<unsigned char>(name[i]))) return -1;
    return name.size() > 7 ? -1 : std::stoi(name.substr(4));
}

namespace {

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
        if (pos_ < s_.size()) fail("unexpected " + quote_json(std::string(1, s_[pos_])));
        return e;
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw Error("in " + quote_json(std::string(s_)) + " at character " + std::to_string(pos_ + 1) + ": " + what);
    }
    // Every recursion (a bracket, an argument list, a unary operator) goes one level deeper; the
    // evaluator recurses along the tree, so nesting and operator chains are both bounded.
    struct Deeper {
        explicit Deeper(Parser& p) : p_(p) {
            if (++p_.depth_ > kMaxExpressionNesting)
                p_.fail("nested deeper than " + std::to_string(kMaxExpressionNesting) + " levels: split the expression");
        }
        ~Deeper() { --p_.depth_; }
        Parser& p_;
    };
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
    Node make(ExprNode::Kind kind, std::string text, std::vector<Node> args = {}, double number = 0) const {
        auto node = std::make_shared<ExprNode>();
        for (const Node& a : args) node->height = std::max(node->height, a->height + 1);
        if (node->height > kMaxExpressionHeight)
            fail("more than " + std::to_string(kMaxExpressionHeight) + " operations in a chain: split the expression");
        node->kind = kind, node->text = std::move(text), node->args = std::move(args), node->number = number;
        return node;
    }

    Node parse_or() {
        const Deeper deeper(*this);
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
        for (const char* op : {"-", "!"}) {
            if (*op == '!' && s_.substr(pos_, 2) == "!=") continue;
            if (!eat(op)) continue;
            const Deeper deeper(*this);
            return make(ExprNode::Kind::Unary, op, {parse_unary()});
        }
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
                    fail("unknown field " + quote_json("." + field) + ": a head has " + join(kHeadFields));
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
        if (!known_name(name)) fail("unknown name " + quote_json(name) + "; " + known_names_message());
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
        // Only the characters a decimal number can hold: copying the rest of the source for each
        // number made a source of many numbers quadratic (200,000 indices took seconds).
        size_t end = pos_;
        auto digit = [this](size_t i) { return i < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i])); };
        while (digit(end)) ++end;
        if (end < s_.size() && s_[end] == '.')
            for (++end; digit(end);) ++end;
        if (end < s_.size() && (s_[end] == 'e' || s_[end] == 'E')) {
            size_t e = end + 1;
            if (e < s_.size() && (s_[e] == '+' || s_[e] == '-')) ++e;
            if (digit(e))
                for (end = e; digit(end);) ++end;
        }
        const std::string rest(s_.substr(pos_, end - pos_));
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
        if (f == kFunctions.end()) fail("unknown function " + quote_json(name) + "; " + known_names_message());
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
    int depth_ = 0;
};

}  // namespace
}  // namespace lessons_detail

Expression Expression::parse(std::string_view source) {
    Expression e;
    e.source_ = std::string(source);
    e.root_ = lessons_detail::Parser(source).parse();
    return e;
}

}  // namespace attnscope
