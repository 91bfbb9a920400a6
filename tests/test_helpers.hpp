#pragma once
// Shared by the engine tests: a require_near that names the first failing cell
// (libigl style), and small naive reference routines written independently of
// engine/src (plain loops and textbook formulas, no calls into the engine).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <Eigen/Dense>

#include "attnscope/error.hpp"

namespace test {

// A fresh folder under the system's temporary folder (named for the test and the process), removed
// at the end of the test.
struct TempFolder {
    std::filesystem::path path;
    explicit TempFolder(const std::string& name) {
        path = std::filesystem::temp_directory_path() / ("attnscope-" + name + "-" + std::to_string(::getpid()));
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~TempFolder() { std::filesystem::remove_all(path); }
    TempFolder(const TempFolder&) = delete;
    TempFolder& operator=(const TempFolder&) = delete;
};

// Two values are near when both are the same infinity, or both finite and
// |a - b| <= eps. NaN is never near anything: a NaN in a trace is a bug.
inline bool near(double a, double b, double eps) {
    if (std::isnan(a) || std::isnan(b)) return false;
    if (std::isinf(a) || std::isinf(b)) return a == b;
    return std::abs(a - b) <= eps;
}

// Requires A and B to have the same shape and every cell near; on failure reports
// the first failing (row, col), both values and the difference.
template <typename DerivedA, typename DerivedB>
void require_near(const Eigen::DenseBase<DerivedA>& A, const Eigen::DenseBase<DerivedB>& B, double eps) {
    INFO("shape A = " << A.rows() << " x " << A.cols() << ", shape B = " << B.rows() << " x " << B.cols());
    REQUIRE(A.rows() == B.rows());
    REQUIRE(A.cols() == B.cols());
    for (Eigen::Index i = 0; i < A.rows(); ++i)
        for (Eigen::Index j = 0; j < A.cols(); ++j) {
            const double a = static_cast<double>(A(i, j)), b = static_cast<double>(B(i, j));
            if (!near(a, b, eps)) {
                std::ostringstream msg;
                msg.precision(17);
                msg << "A(" << i << "," << j << ") = " << a << " but B(" << i << "," << j << ") = " << b
                    << " (|A-B| = " << std::abs(a - b) << " > eps = " << eps << ")";
                FAIL(msg.str());
            }
        }
    SUCCEED("all " << A.rows() * A.cols() << " cells within " << eps);
}

inline void require_near(const std::vector<double>& A, const std::vector<double>& B, double eps) {
    REQUIRE(A.size() == B.size());
    for (std::size_t i = 0; i < A.size(); ++i)
        if (!near(A[i], B[i], eps)) {
            std::ostringstream msg;
            msg.precision(17);
            msg << "A[" << i << "] = " << A[i] << " but B[" << i << "] = " << B[i] << " (eps = " << eps << ")";
            FAIL(msg.str());
        }
    SUCCEED("all " << A.size() << " entries within " << eps);
}

// Requires every cell to be a finite number (masked logits excepted by the caller).
template <typename Derived>
void require_finite(const Eigen::DenseBase<Derived>& A) {
    for (Eigen::Index i = 0; i < A.rows(); ++i)
        for (Eigen::Index j = 0; j < A.cols(); ++j)
            if (!std::isfinite(static_cast<double>(A(i, j)))) {
                std::ostringstream msg;
                msg << "A(" << i << "," << j << ") = " << A(i, j) << " is not finite";
                FAIL(msg.str());
            }
    SUCCEED("all cells finite");
}

// Requires f() to throw attnscope::Error (not some other exception) whose message
// contains `phrase`; reports the actual message either way.
template <typename F>
void require_error(F&& f, const std::string& phrase) {
    try {
        f();
    } catch (const attnscope::Error& e) {
        const std::string message = e.what();
        INFO("message: " << message);
        REQUIRE(message.find(phrase) != std::string::npos);
        return;
    } catch (const std::exception& e) {
        FAIL("threw something other than attnscope::Error: " << e.what());
    }
    FAIL("did not throw attnscope::Error (expected a message containing '" << phrase << "')");
}
#define REQUIRE_ERROR(expr, phrase) ::test::require_error([&] { (void)(expr); }, (phrase))

namespace ref {

using Mat = std::vector<std::vector<double>>;  // a naive row-major matrix, rows of cells

inline Mat zeros(int rows, int cols) { return Mat(rows, std::vector<double>(cols, 0.0)); }

template <typename Derived>
Mat from_eigen(const Eigen::DenseBase<Derived>& A) {
    Mat m = zeros(static_cast<int>(A.rows()), static_cast<int>(A.cols()));
    for (Eigen::Index i = 0; i < A.rows(); ++i)
        for (Eigen::Index j = 0; j < A.cols(); ++j) m[i][j] = A(i, j);
    return m;
}

inline Eigen::MatrixXd to_eigen(const Mat& m) {
    const int rows = static_cast<int>(m.size()), cols = rows ? static_cast<int>(m[0].size()) : 0;
    Eigen::MatrixXd A(rows, cols);
    for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j) A(i, j) = m[i][j];
    return A;
}

// C = A B with a triple loop.
inline Mat matmul(const Mat& A, const Mat& B) {
    const std::size_t n = A.size(), k = B.size(), m = k ? B[0].size() : 0;
    Mat C(n, std::vector<double>(m, 0.0));
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < m; ++j)
            for (std::size_t t = 0; t < k; ++t) C[i][j] += A[i][t] * B[t][j];
    return C;
}

// Columns [first, first + count).
inline Mat columns(const Mat& A, int first, int count) {
    Mat out(A.size(), std::vector<double>(count));
    for (std::size_t i = 0; i < A.size(); ++i)
        for (int j = 0; j < count; ++j) out[i][j] = A[i][first + j];
    return out;
}

// Textbook softmax of one row; entries that are -inf get 0, and a row that is
// entirely -inf gives all zeros (nothing to attend to).
inline std::vector<double> softmax(const std::vector<double>& row) {
    double top = -INFINITY;
    for (double v : row) top = std::max(top, v);
    std::vector<double> out(row.size(), 0.0);
    if (top == -INFINITY) return out;
    double sum = 0.0;
    for (std::size_t j = 0; j < row.size(); ++j) {
        out[j] = row[j] == -INFINITY ? 0.0 : std::exp(row[j] - top);
        sum += out[j];
    }
    for (double& v : out) v /= sum;
    return out;
}

// RoPE on one row, interleaved pairs (2i, 2i+1) rotated by pos * 10000^(-2i/d).
inline std::vector<double> rope(const std::vector<double>& x, int pos) {
    const int d = static_cast<int>(x.size());
    std::vector<double> out = x;
    for (int i = 0; 2 * i + 1 < d; ++i) {
        const double theta = pos * std::pow(10000.0, -(2.0 * i) / d);
        out[2 * i] = std::cos(theta) * x[2 * i] - std::sin(theta) * x[2 * i + 1];
        out[2 * i + 1] = std::sin(theta) * x[2 * i] + std::cos(theta) * x[2 * i + 1];
    }
    return out;
}

// Press et al.'s get_slopes(n), transcribed from the ALiBi paper's reference code:
//   start = 2^(-2^-(log2(n) - 3)); slopes = start^1, start^2, ..., start^n   (n a power of 2)
//   otherwise: get_slopes(closest power of 2 below n) + get_slopes(2 * closest)[0::2][: n - closest]
inline std::vector<double> alibi_slopes(int n) {
    const double log2n = std::log2(static_cast<double>(n));
    if (log2n == std::floor(log2n)) {
        const double start = std::pow(2.0, -std::pow(2.0, -(log2n - 3.0)));
        std::vector<double> s;
        for (int i = 0; i < n; ++i) s.push_back(std::pow(start, i + 1));
        return s;
    }
    const int closest = 1 << static_cast<int>(std::floor(log2n));
    std::vector<double> s = alibi_slopes(closest);
    const std::vector<double> doubled = alibi_slopes(2 * closest);
    for (int k = 0; static_cast<int>(s.size()) < n; k += 2) s.push_back(doubled[k]);
    return s;
}

// T5's _relative_position_bucket (mesh-tensorflow / HF transformers), with
// relative_position = key position - query position, 32 buckets, max distance 128.
inline int t5_bucket(int relative_position, bool bidirectional) {
    int num_buckets = 32;
    const int max_distance = 128;
    int ret = 0;
    int n = -relative_position;
    if (bidirectional) {
        num_buckets /= 2;
        if (n < 0) ret += num_buckets;
        n = std::abs(n);
    } else {
        n = std::max(n, 0);
    }
    const int max_exact = num_buckets / 2;
    if (n < max_exact) return ret + n;
    const double scaled = std::log(static_cast<double>(n) / max_exact) /
                          std::log(static_cast<double>(max_distance) / max_exact) * (num_buckets - max_exact);
    const int large = max_exact + static_cast<int>(scaled);
    return ret + std::min(large, num_buckets - 1);
}

}  // namespace ref
}  // namespace test
