#pragma once
// Writing results to files: atomically (a reader never sees half a file),
// matrices as CSV and as NumPy .npy (float64, C order).
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

#include "attnscope/matrix.hpp"

namespace attnscope {

// Every output file goes through here. The bytes go to a temporary file created exclusively beside
// PATH (a hidden, unguessable name), are synced, take PATH's mode (or the umask's for a new file),
// and replace PATH by a rename only when all went well; on any failure the temporary file is removed
// and PATH is untouched. A PATH that is a symbolic link, a folder, a device, a pipe or a file with
// other hard links is refused. Throws Error saying what to do.
void write_file_atomic(const std::string& path, const std::string& bytes);
// The same, streaming: `write` fills the temporary file, which replaces `path` only if all went well.
void write_file_atomic_with(const std::string& path, const std::function<void(std::ostream&)>& write);
// Throws Error when the file cannot be read.
std::string read_file(const std::string& path);
// A size for people: "512 bytes", "12.3 KB", "4.5 MB", "1.20 GB".
std::string describe_size(std::uintmax_t bytes);

std::string matrix_to_csv(const Matrix& m);  // one row per line; -inf written as -inf
std::string matrix_to_npy(const Matrix& m);  // NPY format 1.0, '<f8', shape (rows, cols)

}  // namespace attnscope
