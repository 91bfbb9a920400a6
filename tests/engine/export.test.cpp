// Tests engine/src/export.cpp: atomic file writes, CSV and NumPy .npy encodings.
#include "attnscope/export.hpp"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <ostream>
#include <sys/stat.h>
#include <unistd.h>
#include <string>

#include "attnscope/error.hpp"
#include "../test_helpers.hpp"

using attnscope::Matrix;

namespace {

// A fresh folder for this test process.
std::filesystem::path scratch_dir(const std::string& name) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("attnscope_export_test_" + std::to_string(::getpid()) + "_" + name);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

}  // namespace

TEST_CASE("matrix_to_csv: one row per line, round-trippable numbers", "[export]") {
    Matrix m(2, 3);
    m << 1, 2.5, -3,  //
        -INFINITY, 0.1, 1e-300;
    // %.17g: 0.1 is written with 17 significant digits, 0.10000000000000001;
    // 1e-300 is 1.0000000000000000e-300 to 17 digits, and %g drops the trailing zeros
    REQUIRE(attnscope::matrix_to_csv(m) == "1,2.5,-3\n-inf,0.10000000000000001,1e-300\n");
    // Each field reads back to the same double.
    REQUIRE(std::strtod("0.10000000000000001", nullptr) == 0.1);
    REQUIRE(attnscope::matrix_to_csv(Matrix(0, 0)).empty());
}

TEST_CASE("matrix_to_npy: NPY 1.0 header and little-endian float64 rows", "[export]") {
    Matrix m(2, 3);
    m << 1, 2, 3,  //
        4, 5, -0.5;
    const std::string npy = attnscope::matrix_to_npy(m);
    // magic \x93NUMPY, version 1.0
    REQUIRE(npy.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
    // The dict is 59 characters; 10 bytes of preamble + 59 + '\n' = 70, padded with spaces to
    // the next multiple of 64 (128), so the header length field is 128 - 10 = 118 = 0x76.
    const std::string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }";
    REQUIRE(dict.size() == 59);
    REQUIRE(static_cast<unsigned char>(npy[8]) == 118);
    REQUIRE(static_cast<unsigned char>(npy[9]) == 0);
    REQUIRE(npy.substr(10, 59) == dict);
    REQUIRE(npy.substr(69, 58) == std::string(58, ' '));
    REQUIRE(npy[127] == '\n');
    // Then 6 doubles in C (row-major) order.
    REQUIRE(npy.size() == 128 + 6 * 8);
    const double expected[] = {1, 2, 3, 4, 5, -0.5};
    for (int k = 0; k < 6; ++k) {
        double v;
        std::memcpy(&v, npy.data() + 128 + 8 * k, 8);
        INFO("element " << k);
        REQUIRE(v == expected[k]);
    }
    // 1.0 as little-endian IEEE 754: 00 00 00 00 00 00 F0 3F
    REQUIRE(npy.substr(128, 8) == std::string("\x00\x00\x00\x00\x00\x00\xF0\x3F", 8));
}

TEST_CASE("matrix_to_npy: the preamble is always a multiple of 64 bytes", "[export]") {
    for (const int rows : {0, 1, 9, 10, 123456})
        for (const int cols : {0, 1, 64}) {
            const Matrix m = Matrix::Zero(rows > 1000 ? 1 : rows, cols);  // shape string length varies
            const std::string npy = attnscope::matrix_to_npy(m);
            const std::size_t header = static_cast<unsigned char>(npy[8]) | (static_cast<unsigned char>(npy[9]) << 8);
            INFO(m.rows() << " x " << m.cols());
            REQUIRE((10 + header) % 64 == 0);
            REQUIRE(npy[10 + header - 1] == '\n');
            REQUIRE(npy.size() == 10 + header + 8 * static_cast<std::size_t>(m.size()));
        }
}

TEST_CASE("write_file_atomic writes, replaces and leaves no temporary", "[export]") {
    const auto dir = scratch_dir("write");
    const std::string path = (dir / "out.json").string();
    attnscope::write_file_atomic(path, "first");
    REQUIRE(attnscope::read_file(path) == "first");
    attnscope::write_file_atomic(path, std::string("second\0binary", 13));
    REQUIRE(attnscope::read_file(path) == std::string("second\0binary", 13));
    REQUIRE(std::distance(std::filesystem::directory_iterator(dir), {}) == 1);  // no temporary left beside it
    std::filesystem::remove_all(dir);
}

TEST_CASE("write_file_atomic never replaces what is not a plain file, keeps the mode, cleans up", "[export][error]") {
    namespace fs = std::filesystem;
    const auto dir = scratch_dir("hostile");
    auto count = [&] { return std::distance(fs::directory_iterator(dir), {}); };
    // A symbolic link: refused, and the file it points to is untouched.
    const fs::path victim = dir / "victim.txt", link = dir / "link.json";
    attnscope::write_file_atomic(victim.string(), "precious");
    fs::create_symlink(victim, link);
    REQUIRE_ERROR(attnscope::write_file_atomic(link.string(), "x"), "symbolic link");
    REQUIRE(fs::is_symlink(link));
    REQUIRE(attnscope::read_file(victim.string()) == "precious");
    // A planted "PATH.tmp" symlink (the old temporary's name) is never written through.
    fs::create_symlink(victim, dir / "out.json.tmp");
    attnscope::write_file_atomic((dir / "out.json").string(), "new");
    REQUIRE(attnscope::read_file(victim.string()) == "precious");
    REQUIRE(attnscope::read_file((dir / "out.json").string()) == "new");
    // A pipe and a folder stay what they are.
    const fs::path fifo = dir / "pipe";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    REQUIRE_ERROR(attnscope::write_file_atomic(fifo.string(), "x"), "not a regular file");
    REQUIRE(fs::is_fifo(fifo));
    fs::create_directories(dir / "folder");
    REQUIRE_ERROR(attnscope::write_file_atomic((dir / "folder").string(), "x"), "it is a folder");
    REQUIRE(fs::is_directory(dir / "folder"));
    // A file with another hard link: refused rather than silently split in two.
    fs::create_hard_link(victim, dir / "victim2.txt");
    REQUIRE_ERROR(attnscope::write_file_atomic(victim.string(), "x"), "hard links");
    fs::remove(dir / "victim2.txt");
    // The mode of the file replaced is kept; a new file gets the umask's.
    const fs::path secret = dir / "secret.json";
    attnscope::write_file_atomic(secret.string(), "a");
    fs::permissions(secret, fs::perms::owner_read | fs::perms::owner_write);
    attnscope::write_file_atomic(secret.string(), "b");
    REQUIRE(fs::status(secret).permissions() == (fs::perms::owner_read | fs::perms::owner_write));
    const mode_t old_mask = ::umask(022);
    attnscope::write_file_atomic((dir / "fresh.json").string(), "c");
    ::umask(old_mask);
    REQUIRE((fs::status(dir / "fresh.json").permissions() & fs::perms::all) ==
            (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read));
    // A writer that fails leaves the old content and no temporary.
    const auto before = count();
    REQUIRE_THROWS(attnscope::write_file_atomic_with(secret.string(), [](std::ostream& out) {
        out << "half";
        throw attnscope::Error("disk on fire");
    }));
    REQUIRE(attnscope::read_file(secret.string()) == "b");
    REQUIRE(count() == before);
    std::filesystem::remove_all(dir);
}

TEST_CASE("write_file_atomic and read_file fail with attnscope::Error", "[export][error]") {
    const auto dir = scratch_dir("errors");
    const std::string missing_folder = (dir / "no" / "such" / "folder" / "out.json").string();
    REQUIRE_ERROR(attnscope::write_file_atomic(missing_folder, "x"), "check that its folder exists");
    REQUIRE_FALSE(std::filesystem::exists(missing_folder));
    REQUIRE_ERROR(attnscope::read_file((dir / "absent.json").string()), "cannot read");
    std::filesystem::remove_all(dir);
}
