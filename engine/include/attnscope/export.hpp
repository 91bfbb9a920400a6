#pragma once
// Writing results to files: atomically (a reader never sees half a file),
// matrices as CSV and as NumPy .npy (float64, C order).
#include <functional>
#include <ostream>
#include <string>

#include "attnscope/matrix.hpp"

namespace attnscope {

// Writes through PATH.tmp and a rename. Throws Error when the folder is not writable.
void write_file_atomic(const std::string& path, const std::string& bytes);
// The same, streaming: `write` fills the temporary file, which replaces `path` only if all went well.
void write_file_atomic_with(const std::string& path, const std::function<void(std::ostream&)>& write);
// Throws Error when the file cannot be read.
std::string read_file(const std::string& path);

std::string matrix_to_csv(const Matrix& m);  // one row per line; -inf written as -inf
std::string matrix_to_npy(const Matrix& m);  // NPY format 1.0, '<f8', shape (rows, cols)

}  // namespace attnscope
