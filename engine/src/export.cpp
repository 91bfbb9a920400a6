#include "attnscope/export.hpp"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "attnscope/error.hpp"

namespace attnscope {

void write_file_atomic_with(const std::string& path, const std::function<void(std::ostream&)>& write) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary);
        bool ok = out.good();
        if (ok) {
            try {
                write(out);
            } catch (...) {
                out.close();
                std::error_code ignored;
                std::filesystem::remove(tmp, ignored);
                throw;
            }
            out.flush();
            ok = out.good();
        }
        if (!ok) {
            std::error_code ignored;
            std::filesystem::remove(tmp, ignored);
            throw Error("cannot write " + path + ": check that its folder exists, is writable and has space");
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) throw Error("cannot write " + path + " (" + ec.message() + "): choose another path");
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
    write_file_atomic_with(path, [&](std::ostream& out) { out.write(bytes.data(), static_cast<std::streamsize>(bytes.size())); });
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("cannot read " + path + ": check the path");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string matrix_to_csv(const Matrix& m) {
    std::string out;
    char buf[32];
    for (int i = 0; i < m.rows(); ++i) {
        for (int j = 0; j < m.cols(); ++j) {
            std::snprintf(buf, sizeof buf, "%.17g", m(i, j));
            if (j > 0) out += ',';
            out += buf;
        }
        out += '\n';
    }
    return out;
}

std::string matrix_to_npy(const Matrix& m) {
    std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + std::to_string(m.rows()) + ", " +
                         std::to_string(m.cols()) + "), }";
    // Magic (6) + version (2) + header length (2) + header must be a multiple of 64, ending in '\n'.
    const size_t unpadded = 10 + header.size() + 1;
    header.append((64 - unpadded % 64) % 64, ' ');
    header += '\n';
    std::string out = "\x93NUMPY";
    out += '\x01';
    out += '\x00';
    out += static_cast<char>(header.size() & 0xFF);
    out += static_cast<char>(header.size() >> 8);
    out += header;
    const size_t data_at = out.size();
    out.resize(data_at + sizeof(double) * m.size());
    if (m.size() > 0)  // an empty Matrix has a null data(), and memcpy from null is undefined even for 0 bytes
        std::memcpy(out.data() + data_at, m.data(), sizeof(double) * m.size());  // row-major, little-endian x86-64
    return out;
}

}  // namespace attnscope
