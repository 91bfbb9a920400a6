#pragma once
// The parsed form of an Expression (attnscope/lessons/expression.hpp), shared by the parser
// (expression.cpp), the evaluator (evaluate.cpp, functions.cpp) and the templates (template.cpp).
#include <memory>
#include <string>
#include <vector>

namespace attnscope {

struct ExprNode {
    enum class Kind { Number, String, Name, Field, Index, Call, Unary, Binary };
    Kind kind = Kind::Number;
    double number = 0;
    std::string text;  // string literal, name, field, function or operator
    std::vector<std::shared_ptr<const ExprNode>> args;
};

namespace lessons_detail {

using Node = std::shared_ptr<const ExprNode>;

// headN: the number N, or -1.
int head_literal(const std::string& name);
// A number as a placeholder shows it: `decimals` (-1: automatic), or a percentage.
std::string format_number(double v, int decimals, bool percent);

}  // namespace lessons_detail
}  // namespace attnscope
