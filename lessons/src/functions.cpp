// The expression language's functions: entropy and argmax of a row, dot, column, the number
// functions and the reductions over a matrix (sum, mean, norm, rms, asymmetry, ...).
#include <algorithm>
#include <cmath>
#include <string>

#include "attnscope/error.hpp"
#include "attnscope/lessons/experiments.hpp"
#include "evaluate.hpp"

namespace attnscope::lessons_detail {
namespace {

double finite_max_abs(const Matrix& m) {
    double v = 0;
    for (int i = 0; i < m.size(); ++i)
        if (std::isfinite(m.data()[i])) v = std::max(v, std::abs(m.data()[i]));
    return v;
}

}  // namespace

// entropy(h, i) and argmax(h, i) read row i of head h's attention.
Matrix Evaluator::row_argument(const ExprNode& e, Matrix& scratch) const {
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

Value Evaluator::call(const ExprNode& e) const {
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

double Evaluator::reduce(const std::string& f, const Matrix& m) {
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

}  // namespace attnscope::lessons_detail
