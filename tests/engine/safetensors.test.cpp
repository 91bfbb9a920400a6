// Tests engine/src/safetensors.cpp on files written here: byte layouts built by hand (so the
// reader is checked against the format, not against our own writer), every malformed case,
// and F16/BF16 values whose floats were worked out by hand from the bit patterns.
#include "attnscope/safetensors.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attnscope/error.hpp"
#include "../test_helpers.hpp"

using attnscope::DType;
using attnscope::Error;
using attnscope::SafetensorsFile;
namespace fs = std::filesystem;

namespace {

fs::path scratch_dir(const std::string& name) {
    const auto dir = fs::temp_directory_path() / ("attnscope_safetensors_test_" + std::to_string(::getpid()) + "_" + name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

std::string le64(std::uint64_t v) {
    std::string s(8, '\0');
    for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
    return s;
}

// length (8 bytes, little-endian) + HEADER + DATA, the format's layout spelled out.
std::string layout(const std::string& header, const std::string& data) { return le64(header.size()) + header + data; }

std::string floats_le(const std::vector<float>& v) {
    std::string s;
    for (float f : v) {
        std::uint32_t u;
        std::memcpy(&u, &f, 4);
        for (int i = 0; i < 4; ++i) s += static_cast<char>((u >> (8 * i)) & 0xFF);
    }
    return s;
}

std::string halves_le(const std::vector<std::uint16_t>& v) {
    std::string s;
    for (std::uint16_t h : v) {
        s += static_cast<char>(h & 0xFF);
        s += static_cast<char>(h >> 8);
    }
    return s;
}

std::string write(const fs::path& dir, const std::string& name, const std::string& bytes) {
    const fs::path p = dir / name;
    std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return p.string();
}

// Opens BYTES as a file and requires an Error whose message contains every one of WORDS.
void require_rejected(const std::string& bytes, const std::vector<std::string>& words) {
    static const fs::path dir = scratch_dir("malformed");
    const std::string path = write(dir, "bad.safetensors", bytes);
    try {
        SafetensorsFile::open(path);
        FAIL("opened a malformed file; expected an error mentioning " << words.front());
    } catch (const Error& e) {
        const std::string msg = e.what();
        INFO("message: " << msg);
        CHECK(msg.find(path) != std::string::npos);
        for (const std::string& w : words) CHECK(msg.find(w) != std::string::npos);
    }
}

}  // namespace

TEST_CASE("safetensors: reads a hand-built F32 file with metadata", "[safetensors]") {
    const auto dir = scratch_dir("f32");
    const std::string header =
        R"({"__metadata__":{"format":"pt"},"b":{"dtype":"F32","shape":[3],"data_offsets":[24,36]},)"
        R"("a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}})";
    const std::string data = floats_le({1, 2, 3, 4, 5, 6}) + floats_le({-0.5f, 1e30f, 7});
    const auto f = SafetensorsFile::open(write(dir, "m.safetensors", layout(header, data)));
    REQUIRE(f.tensors().size() == 2);
    REQUIRE(f.metadata().at("format") == "pt");
    const attnscope::TensorInfo* a = f.find("a");
    REQUIRE(a);
    CHECK(a->dtype == DType::F32);
    CHECK(a->shape == std::vector<std::int64_t>{2, 3});
    CHECK(a->begin == 0);
    CHECK(a->end == 24);
    CHECK(f.read_f32("a") == std::vector<float>{1, 2, 3, 4, 5, 6});
    CHECK(f.read_f32("b") == std::vector<float>{-0.5f, 1e30f, 7});
    CHECK(f.find("c") == nullptr);
}

TEST_CASE("safetensors: a scalar, an empty tensor, and a header padded with spaces", "[safetensors]") {
    const auto dir = scratch_dir("edge");
    const std::string header =
        R"({"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"e":{"dtype":"F16","shape":[0,5],"data_offsets":[4,4]}})"
        "      ";
    const auto f = SafetensorsFile::open(write(dir, "m.safetensors", layout(header, floats_le({2.5f}))));
    CHECK(f.read_f32("s") == std::vector<float>{2.5f});
    CHECK(f.read_f32("e").empty());
    CHECK(f.find("e")->shape == std::vector<std::int64_t>{0, 5});
}

TEST_CASE("safetensors: F16 and BF16 convert to the floats their bits denote", "[safetensors]") {
    // F16: sign | 5-bit exponent (bias 15) | 10-bit mantissa.
    //   0x3C00 = 1, 0xC000 = -2, 0x3555 = 2^-2 (1 + 341/1024) = 0.333251953125, 0x7BFF = 65504 (largest),
    //   0x0400 = 2^-14 (smallest normal), 0x0001 = 2^-24 (smallest subnormal), 0x03FF = 1023 * 2^-24,
    //   0x8000 = -0, 0x7C00 = +inf, 0xFC00 = -inf, 0x7E00 = NaN.
    const std::vector<std::uint16_t> f16 = {0x3C00, 0xC000, 0x3555, 0x7BFF, 0x0400, 0x0001, 0x03FF, 0x8000, 0x7C00, 0xFC00, 0x7E00};
    const std::vector<float> f16_expected = {1.0f, -2.0f, 0.333251953125f, 65504.0f, 6.103515625e-05f,
                                             5.9604644775390625e-08f, 6.0975551605224609375e-05f, -0.0f,
                                             std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(), 0};
    // BF16: the top 16 bits of a float. 0x3F80 = 1, 0xC0A0 = -5, 0x4049 = 2 (1 + 0x49/128) = 3.140625,
    //   0x0001 = 2^-133 (smallest subnormal), 0xFF80 = -inf, 0x7FC0 = NaN.
    const std::vector<std::uint16_t> bf16 = {0x3F80, 0xC0A0, 0x4049, 0x0001, 0xFF80, 0x7FC0};
    const std::vector<float> bf16_expected = {1.0f, -5.0f, 3.140625f, std::ldexp(1.0f, -133),
                                              -std::numeric_limits<float>::infinity(), 0};
    const std::size_t n16 = f16.size() * 2, nb = bf16.size() * 2;
    const std::string header = R"({"h":{"dtype":"F16","shape":[)" + std::to_string(f16.size()) +
                               R"(],"data_offsets":[0,)" + std::to_string(n16) + R"(]},"b":{"dtype":"BF16","shape":[)" +
                               std::to_string(bf16.size()) + R"(],"data_offsets":[)" + std::to_string(n16) + "," +
                               std::to_string(n16 + nb) + "]}}";
    const auto dir = scratch_dir("half");
    const auto f = SafetensorsFile::open(write(dir, "m.safetensors", layout(header, halves_le(f16) + halves_le(bf16))));
    const std::vector<float> h = f.read_f32("h"), b = f.read_f32("b");
    REQUIRE(h.size() == f16_expected.size());
    for (std::size_t i = 0; i + 1 < h.size(); ++i) {
        INFO("F16 bits 0x" << std::hex << f16[i]);
        CHECK(h[i] == f16_expected[i]);
    }
    CHECK(std::signbit(h[7]));
    CHECK(std::isnan(h.back()));
    REQUIRE(b.size() == bf16_expected.size());
    for (std::size_t i = 0; i + 1 < b.size(); ++i) {
        INFO("BF16 bits 0x" << std::hex << bf16[i]);
        CHECK(b[i] == bf16_expected[i]);
    }
    CHECK(std::isnan(b.back()));
    CHECK(f.find("h")->dtype == DType::F16);
    CHECK(f.find("b")->dtype == DType::BF16);
}

TEST_CASE("safetensors: data that starts at an odd file offset is read correctly", "[safetensors]") {
    // A 13-byte header puts the data section at byte 21: F32 values there are unaligned in memory.
    const std::string header = R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    const std::string padded = header + std::string((header.size() % 2 == 0) ? 1 : 0, ' ');
    const auto dir = scratch_dir("odd");
    const auto f = SafetensorsFile::open(write(dir, "m.safetensors", layout(padded, floats_le({3.5f, -1.25f}))));
    CHECK(f.read_f32("x") == std::vector<float>{3.5f, -1.25f});
}

TEST_CASE("safetensors: a missing tensor is an error naming it", "[safetensors]") {
    const auto dir = scratch_dir("missing");
    const auto f = SafetensorsFile::open(
        write(dir, "m.safetensors", layout(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", floats_le({1}))));
    REQUIRE_THROWS_AS(f.read_f32("h.0.attn.c_attn.weight"), Error);
    REQUIRE_THROWS_WITH(f.read_f32("h.0.attn.c_attn.weight"), Catch::Contains("h.0.attn.c_attn.weight"));
}

TEST_CASE("safetensors: every malformed file is rejected with a message naming the problem", "[safetensors]") {
    const std::string ok_data = floats_le({1, 2});
    auto one = [](const std::string& entry) { return "{\"t\":" + entry + "}"; };

    SECTION("truncated before the header length") { require_rejected(std::string("\x05\x00\x00", 3), {"truncated"}); }
    SECTION("empty file") { require_rejected("", {"truncated"}); }
    SECTION("header length past the end") { require_rejected(le64(1000) + "{}", {"past the end"}); }
    SECTION("absurdly large header length") { require_rejected(le64(1ull << 40) + "{}", {"absurdly large"}); }
    SECTION("header length of 2^64 - 1") { require_rejected(le64(~0ull) + "{}", {"absurdly large"}); }
    SECTION("bad JSON") { require_rejected(layout(R"({"t":{"dtype":"F32",)", ok_data), {"not valid JSON"}); }
    SECTION("JSON that is not an object") { require_rejected(layout("[1,2]", ok_data), {"not a JSON object"}); }
    SECTION("data offsets past the data") {
        require_rejected(layout(one(R"({"dtype":"F32","shape":[3],"data_offsets":[0,12]})"), ok_data), {"run past", "\"t\""});
    }
    SECTION("data truncated after a valid header") {
        require_rejected(layout(one(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})"), ok_data.substr(0, 5)), {"truncated"});
    }
    SECTION("offsets end before they begin") {
        require_rejected(layout(one(R"({"dtype":"F32","shape":[0],"data_offsets":[8,4]})"), ok_data), {"end before"});
    }
    SECTION("overlapping tensors") {
        require_rejected(layout(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", ok_data),
                         {"overlap", "\"a\"", "\"b\""});
    }
    SECTION("unaligned offset") {
        require_rejected(layout(one(R"({"dtype":"F32","shape":[1],"data_offsets":[2,6]})"), ok_data), {"not aligned"});
    }
    SECTION("unaligned F16 offset") {
        require_rejected(layout(one(R"({"dtype":"F16","shape":[1],"data_offsets":[1,3]})"), ok_data), {"not aligned"});
    }
    SECTION("unknown dtype") {
        require_rejected(layout(one(R"({"dtype":"F128","shape":[1],"data_offsets":[0,4]})"), ok_data), {"F128", "F32, F16"});
    }
    SECTION("integer dtype") {
        require_rejected(layout(one(R"({"dtype":"I64","shape":[1],"data_offsets":[0,8]})"), ok_data), {"I64"});
    }
    SECTION("shape product does not match the byte size") {
        require_rejected(layout(one(R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})"), ok_data), {"needs 12 bytes", "hold 8"});
    }
    SECTION("F16 shape counted as F32 bytes") {
        require_rejected(layout(one(R"({"dtype":"F16","shape":[2],"data_offsets":[0,8]})"), ok_data), {"needs 4 bytes"});
    }
    SECTION("shape product overflows") {
        require_rejected(layout(one(R"({"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,8]})"), ok_data),
                         {"needs more bytes"});
    }
    SECTION("negative dimension") {
        require_rejected(layout(one(R"({"dtype":"F32","shape":[-2],"data_offsets":[0,8]})"), ok_data), {"negative"});
    }
    SECTION("negative offset") {
        require_rejected(layout(one(R"({"dtype":"F32","shape":[2],"data_offsets":[-8,0]})"), ok_data), {"negative"});
    }
    SECTION("fractional dimension") {
        require_rejected(layout(one(R"({"dtype":"F32","shape":[1.5],"data_offsets":[0,8]})"), ok_data), {"integer"});
    }
    SECTION("missing data_offsets") { require_rejected(layout(one(R"({"dtype":"F32","shape":[2]})"), ok_data), {"data_offsets"}); }
    SECTION("data_offsets of the wrong length") {
        require_rejected(layout(one(R"({"dtype":"F32","shape":[2],"data_offsets":[0]})"), ok_data), {"[begin, end]"});
    }
    SECTION("duplicate tensor name") {
        require_rejected(layout(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                R"("t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", ok_data),
                         {"twice"});
    }
    SECTION("metadata that is not strings") {
        require_rejected(layout(R"({"__metadata__":{"n":3}})", ""), {"__metadata__"});
    }
    SECTION("a pickle checkpoint") { require_rejected(std::string("\x80\x02}q\x00(X\x03\x00\x00\x00wte.", 15), {"pickle", "safetensors"}); }
    SECTION("a torch zip checkpoint") { require_rejected(std::string("PK\x03\x04", 4) + std::string(40, '\0'), {"pickle"}); }
    SECTION("a header over 16 MiB") { require_rejected(le64((16 << 20) + 1) + "{}", {"absurdly large"}); }
}

TEST_CASE("safetensors: a valid file is never mistaken for a pickle, whatever its header length", "[safetensors]") {
    // Lengths 640, 896, 1152 and 1408 (mod 65536) begin with the bytes 0x80 0x02..0x05 of a pickle.
    const auto dir = scratch_dir("pickle_like");
    for (const std::size_t length : {640u, 896u, 1152u, 1408u}) {
        std::string header = R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
        header += std::string(length - header.size(), ' ');  // JSON allows trailing spaces
        const std::string bytes = layout(header, floats_le({1.5f, -2}));
        REQUIRE(static_cast<unsigned char>(bytes[0]) == 0x80);
        const SafetensorsFile f = SafetensorsFile::open(write(dir, "ok.safetensors", bytes));
        REQUIRE(f.read_f32("t") == std::vector<float>{1.5f, -2});
    }
}

TEST_CASE("safetensors: a header of many tensors is read in linear time", "[safetensors]") {
    // 100,000 zero-size tensors (5.7 MB of header): 40,000 took 16 s when the JSON parser scanned the
    // header object at every tensor's end. A quadratic reader would run past the test's timeout.
    std::string header = "{";
    for (int i = 0; i < 100000; ++i) header += (i ? ",\"t" : "\"t") + std::to_string(i) + R"(":{"dtype":"F32","shape":[0],"data_offsets":[0,0]})";
    header += "}";
    const auto dir = scratch_dir("many");
    const SafetensorsFile f = SafetensorsFile::open(write(dir, "many.safetensors", layout(header, "")));
    REQUIRE(f.find("t99999") != nullptr);
    REQUIRE(f.find("t99999")->shape == std::vector<std::int64_t>{0});
}

TEST_CASE("safetensors: a folder with only pytorch_model.bin says to convert", "[safetensors]") {
    const auto dir = scratch_dir("pickle_dir");
    write(dir, "pytorch_model.bin", "\x80\x02}q\x00.");
    REQUIRE_THROWS_WITH(SafetensorsFile::open(dir.string()), Catch::Contains("pytorch_model.bin") && Catch::Contains("safetensors"));
    REQUIRE_THROWS_WITH(SafetensorsFile::open((dir / "model.safetensors").string()),
                        Catch::Contains("pytorch_model.bin") && Catch::Contains("Convert"));
    REQUIRE_THROWS_WITH(SafetensorsFile::open((scratch_dir("empty_dir")).string()), Catch::Contains("no model.safetensors"));
    REQUIRE_THROWS_WITH(SafetensorsFile::open((dir / "nope" / "x.safetensors").string()), Catch::Contains("cannot open"));
}

TEST_CASE("write_safetensors: the bytes follow the format, and read back", "[safetensors]") {
    const auto dir = scratch_dir("write");
    const std::string path = (dir / "w.safetensors").string();
    const std::vector<attnscope::TensorF32> tensors = {
        {"wte", {2, 3}, {1, 2, 3, 4, 5, 6}}, {"ln.bias", {2}, {-1.5f, 0.25f}}, {"empty", {0}, {}}};
    attnscope::write_safetensors(path, tensors, {{"format", "pt"}});
    CHECK_FALSE(fs::exists(path + ".tmp"));

    // Decode by hand: length, JSON, then the floats at the offsets the JSON gives.
    std::ifstream in(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    REQUIRE(bytes.size() >= 8);
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
    CHECK(n % 8 == 0);
    REQUIRE(8 + n <= bytes.size());
    const auto header = nlohmann::json::parse(bytes.substr(8, n));
    CHECK(header["__metadata__"]["format"] == "pt");
    const std::string data = bytes.substr(8 + n);
    CHECK(data.size() == 8 * 4);
    for (const auto& t : tensors) {
        INFO(t.name);
        CHECK(header[t.name]["dtype"] == "F32");
        CHECK(header[t.name]["shape"].get<std::vector<std::int64_t>>() == t.shape);
        const auto off = header[t.name]["data_offsets"].get<std::vector<std::size_t>>();
        CHECK(data.substr(off[0], off[1] - off[0]) == floats_le(t.data));
    }

    const auto f = SafetensorsFile::open(path);
    for (const auto& t : tensors) CHECK(f.read_f32(t.name) == t.data);
    CHECK(f.metadata().at("format") == "pt");

    // Moving keeps the mapping valid.
    SafetensorsFile moved = std::move(const_cast<SafetensorsFile&>(f));
    CHECK(moved.read_f32("wte") == tensors[0].data);
}

TEST_CASE("write_safetensors: rejects inconsistent tensors and unwritable paths", "[safetensors]") {
    const auto dir = scratch_dir("write_bad");
    const std::string path = (dir / "w.safetensors").string();
    REQUIRE_THROWS_WITH(attnscope::write_safetensors(path, {{"a", {2, 2}, {1, 2, 3}}}), Catch::Contains("shape holds 4"));
    REQUIRE_THROWS_WITH(attnscope::write_safetensors(path, {{"a", {1}, {1}}, {"a", {1}, {2}}}), Catch::Contains("twice"));
    REQUIRE_THROWS_WITH(attnscope::write_safetensors(path, {{"a", {-1}, {}}}), Catch::Contains("negative"));
    REQUIRE_THROWS_AS(attnscope::write_safetensors((dir / "no" / "such" / "w.safetensors").string(), {{"a", {1}, {1}}}), Error);
    CHECK_FALSE(fs::exists(path));
}
