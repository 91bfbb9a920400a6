#include "attnscope/export.hpp"

#include <ext/stdio_filebuf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "attnscope/error.hpp"

namespace attnscope {

namespace {

// The mode a new file gets from open(2) with 0666: what the umask leaves.
mode_t new_file_mode() {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    return 0666 & ~mask;
}

}  // namespace

void write_file_atomic_with(const std::string& path, const std::function<void(std::ostream&)>& write) {
    namespace fs = std::filesystem;
    // What is there now: only a regular file with no other names may be replaced.
    struct stat st {};
    mode_t mode = new_file_mode();
    if (::lstat(path.c_str(), &st) == 0) {
        if (S_ISLNK(st.st_mode))
            throw Error("cannot write " + path + ": it is a symbolic link; write to the file it points to, or choose "
                        "another path");
        if (!S_ISREG(st.st_mode))
            throw Error("cannot write " + path + ": it is " + (S_ISDIR(st.st_mode) ? "a folder" : "not a regular file "
                        "(a device, pipe or socket)") + "; choose a file path");
        if (st.st_nlink > 1)
            throw Error("cannot write " + path + ": it has " + std::to_string(st.st_nlink) + " hard links, which "
                        "replacing it would break; choose another path");
        mode = st.st_mode & 07777;
    }
    // A temporary file of our own (created exclusively, with a name no one can guess) beside it.
    const fs::path target(path);
    const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
    std::string name = ".";  // appended, not "." + ...: GCC 12 warns falsely (-Wrestrict, PR105651) on that
    name += target.filename().string();
    name += ".tmp.XXXXXX";
    std::string tmp = (folder / name).string();
    const int fd = ::mkstemp(tmp.data());
    if (fd < 0)
        throw Error("cannot write " + path + " (" + std::strerror(errno) +
                    "): check that its folder exists, is writable and has space");
    bool ok = false;
    try {
        __gnu_cxx::stdio_filebuf<char> buffer(fd, std::ios::out | std::ios::binary);
        std::ostream out(&buffer);
        write(out);
        out.flush();
        ok = out.good() && ::fchmod(fd, mode) == 0 && ::fsync(fd) == 0;
        buffer.close();  // closes fd
    } catch (...) {
        ::unlink(tmp.c_str());
        throw;
    }
    if (!ok) {
        ::unlink(tmp.c_str());
        throw Error("cannot write " + path + ": check that its folder is writable and has space");
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        ::unlink(tmp.c_str());
        throw Error("cannot write " + path + " (" + why + "): choose another path");
    }
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
    write_file_atomic_with(path, [&](std::ostream& out) { out.write(bytes.data(), static_cast<std::streamsize>(bytes.size())); });
}

std::string describe_size(std::uintmax_t bytes) {
    char text[32];
    if (bytes < 1024) std::snprintf(text, sizeof text, "%ju bytes", bytes);
    else if (bytes < 1024 * 1024) std::snprintf(text, sizeof text, "%.1f KB", bytes / 1024.0);
    else if (bytes < 1024ull * 1024 * 1024) std::snprintf(text, sizeof text, "%.1f MB", bytes / (1024.0 * 1024));
    else std::snprintf(text, sizeof text, "%.2f GB", bytes / (1024.0 * 1024 * 1024));
    return text;
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
