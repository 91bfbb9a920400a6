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
    int height = 1;  // 1 + the tallest argument's height
};

// Bounds that keep parsing, evaluating and freeing a tree within the stack: brackets, argument
// lists and unary operators nest at most this deep, and no tree is taller than kMaxExpressionHeight
// (a sum of 300 terms is a chain of 299 additions).
inline constexpr int kMaxExpressionNesting = 64;
inline constexpr int kMaxExpressionHeight = 256;

namespace lessons_detail {

using Node = std::shared_ptr<const ExprNode>;

// headN: the number N, or -1.
int head_literal(const std::string& name);
// A number as a placeholder shows it: `decimals` (-1: automatic), or a percentage.
std::string format_number(double v, int decimals, bool percent);

}  // namespace lessons_detail
}  // namespace attnscope
