// Safetensors reading (memory-mapped) and writing. Every check a hostile or damaged file could
// fail is made in parse(), before any tensor is touched, so read_f32 can copy without bounds
// surprises.
#include "attnscope/safetensors.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "attnscope/error.hpp"
#include "attnscope/export.hpp"
#include "attnscope/json_input.hpp"

namespace attnscope {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A header is a few kB per hundred tensors; anything this large is damage, not a model.
constexpr std::uint64_t kMaxHeaderBytes = 16 << 20;  // 16 MiB: over 100,000 tensors

const char* kPickleAdvice =
    "attnscope never loads pickle checkpoints (pytorch_model.bin, *.pt): unpickling can run arbitrary code. "
    "Convert it to safetensors, e.g. in Python: AutoModel.from_pretrained(DIR).save_pretrained(DIR, "
    "safe_serialization=True), which writes DIR/model.safetensors";

bool parse_dtype(const std::string& s, DType& out) {
    if (s == "F32") out = DType::F32;
    else if (s == "F16") out = DType::F16;
    else if (s == "BF16") out = DType::BF16;
    else return false;
    return true;
}

std::uint64_t read_u64_le(const std::uint8_t* p) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

std::uint16_t read_u16_le(const std::uint8_t* p) {
    return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}

// A non-negative integer that fits in size_t, else Error.
std::size_t as_size(const json& v, const std::string& what) {
    if (v.is_number_unsigned()) {
        const auto u = v.get<std::uint64_t>();
        if (u <= std::numeric_limits<std::size_t>::max()) return static_cast<std::size_t>(u);
    } else if (v.is_number_integer()) {
        throw Error(what + " is negative (" + quote_json(v) + ")");
    }
    throw Error(what + " must be a non-negative integer, got " + quote_json(v));
}

bool is_pickle(const std::uint8_t* p, std::size_t n) {
    // Protocol 2+ pickles start with 0x80 <proto>; torch.save's zip format with "PK\x03\x04".
    return (n >= 2 && p[0] == 0x80 && p[1] >= 2 && p[1] <= 5) ||
           (n >= 4 && p[0] == 'P' && p[1] == 'K' && p[2] == 3 && p[3] == 4);
}

}  // namespace

std::size_t dtype_size(DType dtype) { return dtype == DType::F32 ? 4 : 2; }

const char* dtype_name(DType dtype) {
    switch (dtype) {
        case DType::F32: return "F32";
        case DType::F16: return "F16";
        case DType::BF16: return "BF16";
    }
    return "?";
}

float f16_to_f32(std::uint16_t h) {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    std::uint32_t exp = (h >> 10) & 0x1Fu;
    std::uint32_t mant = h & 0x3FFu;
    std::uint32_t bits;
    if (exp == 0x1F) {
        bits = sign | 0x7F800000u | (mant << 13);  // inf, nan (payload kept)
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (mant << 13);  // rebias 15 -> 127
    } else if (mant == 0) {
        bits = sign;  // +-0
    } else {
        // Subnormal: shift the mantissa up until its leading 1 becomes the implicit bit.
        exp = 113;
        while (!(mant & 0x400u)) {
            mant <<= 1;
            --exp;
        }
        bits = sign | (exp << 23) | ((mant & 0x3FFu) << 13);
    }
    return std::bit_cast<float>(bits);
}

float bf16_to_f32(std::uint16_t b) { return std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16); }

SafetensorsFile SafetensorsFile::parse(const std::uint8_t* bytes, std::size_t size, const std::string& label) {
    SafetensorsFile f;
    f.path_ = label;
    auto fail = [&](const std::string& why) { return Error(label + ": " + why); };
    // Where the file is not safetensors, a pickle says so. Only then: a valid header length can begin
    // with a pickle's bytes (0x80 0x02 is a length of 640 mod 65536).
    auto not_safetensors = [&](const std::string& why) {
        return is_pickle(bytes, size) ? fail(std::string("this is a pickle checkpoint, not safetensors. ") + kPickleAdvice)
                                      : fail(why);
    };
    if (size < 8)
        throw not_safetensors("truncated: " + std::to_string(size) +
                   " bytes, shorter than the 8-byte header length; the file is damaged or not safetensors");
    const std::uint64_t n = read_u64_le(bytes);
    if (n > kMaxHeaderBytes)
        throw not_safetensors("header length " + std::to_string(n) + " bytes is absurdly large (limit " +
                   std::to_string(kMaxHeaderBytes) + "); the file is damaged or not safetensors");
    if (n > size - 8)
        throw not_safetensors("header length " + std::to_string(n) + " runs past the end of the file (" + std::to_string(size) +
                   " bytes): the file is truncated");
    if (n == 0 || bytes[8] != '{') throw not_safetensors("the header is not a JSON object; the file is damaged or not safetensors");

    const char* text = reinterpret_cast<const char*>(bytes + 8);
    // Duplicate names would let two entries claim the same tensor; nlohmann keeps only the last,
    // so catch them while parsing.
    std::set<std::string> seen;
    std::string duplicate;
    const std::function<void(const std::string&)> no_duplicates = [&](const std::string& key) {
        if (!seen.insert(key).second && duplicate.empty()) duplicate = key;
    };
    json header;
    try {
        header = parse_json(std::string_view(text, static_cast<std::size_t>(n)), "the header", "the file is damaged",
                            no_duplicates);
    } catch (const Error& e) {
        throw not_safetensors(e.what());
    }
    if (!duplicate.empty()) throw fail("the header names tensor " + quote_json(duplicate) + " twice");
    if (!header.is_object()) throw fail("the header is not a JSON object; the file is damaged or not safetensors");

    f.data_ = bytes + 8 + n;
    f.data_size_ = size - 8 - static_cast<std::size_t>(n);
    for (const auto& [name, entry] : header.items()) {
        if (name == "__metadata__") {
            if (!entry.is_object()) throw fail("__metadata__ must be an object of strings");
            for (const auto& [k, v] : entry.items()) {
                if (!v.is_string()) throw fail("__metadata__ value for " + quote_json(k) + " must be a string, got " + quote_json(v));
                f.metadata_[k] = v.get<std::string>();
            }
            continue;
        }
        const std::string where = "tensor " + quote_json(name);
        if (!entry.is_object()) throw fail(where + " must be an object with dtype, shape and data_offsets");
        for (const char* key : {"dtype", "shape", "data_offsets"})
            if (!entry.contains(key)) throw fail(where + " lacks \"" + key + "\"");
        TensorInfo t;
        t.name = name;
        const json& dtype = entry["dtype"];
        if (!dtype.is_string() || !parse_dtype(dtype.get<std::string>(), t.dtype))
            throw fail(where + " has dtype " + quote_json(dtype) +
                       ", which attnscope does not read (F32, F16 and BF16 only): convert the checkpoint to float32 "
                       "or float16");
        const json& shape = entry["shape"];
        if (!shape.is_array()) throw fail(where + " shape must be an array of dimensions");
        std::size_t elements = 1;
        bool overflow = false;
        for (const json& d : shape) {
            const std::size_t dim = as_size(d, label + ": " + where + " dimension");
            if (dim > static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())) overflow = true;
            if (dim != 0 && elements > std::numeric_limits<std::size_t>::max() / dim) overflow = true;
            elements *= dim;
            t.shape.push_back(static_cast<std::int64_t>(dim));
        }
        const json& offsets = entry["data_offsets"];
        if (!offsets.is_array() || offsets.size() != 2) throw fail(where + " data_offsets must be [begin, end]");
        t.begin = as_size(offsets[0], label + ": " + where + " data_offsets begin");
        t.end = as_size(offsets[1], label + ": " + where + " data_offsets end");
        if (t.begin > t.end) throw fail(where + " data_offsets end before they begin");
        if (t.end > f.data_size_)
            throw fail(where + " data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) +
                       "] run past the data section (" + std::to_string(f.data_size_) + " bytes): the file is truncated");
        const std::size_t size_of = dtype_size(t.dtype);
        if (t.begin % size_of != 0)
            throw fail(where + " begins at byte " + std::to_string(t.begin) + ", not aligned to its " +
                       dtype_name(t.dtype) + " elements (" + std::to_string(size_of) + " bytes)");
        if (overflow || elements > std::numeric_limits<std::size_t>::max() / size_of ||
            elements * size_of != t.end - t.begin)
            throw fail(where + " shape " + quote_json(shape) + " of " + dtype_name(t.dtype) + " needs " +
                       (overflow ? std::string("more") : std::to_string(elements * size_of)) + " bytes but data_offsets hold " +
                       std::to_string(t.end - t.begin));
        f.tensors_.push_back(std::move(t));
    }
    std::sort(f.tensors_.begin(), f.tensors_.end(),
              [](const TensorInfo& a, const TensorInfo& b) { return std::tie(a.begin, a.end) < std::tie(b.begin, b.end); });
    for (std::size_t i = 1; i < f.tensors_.size(); ++i) {
        const TensorInfo& a = f.tensors_[i - 1];
        const TensorInfo& b = f.tensors_[i];
        if (b.begin < a.end)
            throw fail("tensors \"" + a.name + "\" and \"" + b.name + "\" overlap in the data section (bytes " +
                       std::to_string(b.begin) + " to " + std::to_string(std::min(a.end, b.end)) + ")");
    }
    for (std::size_t i = 0; i < f.tensors_.size(); ++i) f.index_[f.tensors_[i].name] = i;
    return f;
}

SafetensorsFile SafetensorsFile::open(const std::string& path_in) {
    std::string path = path_in;
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        if (fs::exists(fs::path(path) / "model.safetensors", ec)) {
            path = (fs::path(path) / "model.safetensors").string();
        } else if (fs::exists(fs::path(path) / "pytorch_model.bin", ec)) {
            throw Error(path + " holds only pytorch_model.bin. " + kPickleAdvice);
        } else {
            throw Error(fs::path(path).filename() == "model.safetensors"
                            ? path + " is a folder, not a file: a model folder holds model.safetensors as a file"
                            : path + " has no model.safetensors: pass a safetensors file or a folder holding model.safetensors");
        }
    }
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const fs::path beside = fs::path(path).parent_path() / "pytorch_model.bin";
        if (errno == ENOENT && fs::exists(beside, ec))
            throw Error(path + " does not exist; beside it is only " + beside.string() + ". " + kPickleAdvice);
        throw Error("cannot open " + path + " (" + std::strerror(errno) + "): check the path");
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw Error(path + " is not a regular file: pass a .safetensors file");
    }
    const auto size = static_cast<std::size_t>(st.st_size);
    if (size == 0) {
        ::close(fd);
        throw Error(path + ": truncated: the file is empty; it is damaged or not safetensors");
    }
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);  // the mapping keeps the file open
    if (map == MAP_FAILED) throw Error("cannot map " + path + " into memory (" + std::strerror(errno) + ")");
    try {
        SafetensorsFile f = parse(static_cast<const std::uint8_t*>(map), size, path);
        f.map_ = map;
        f.map_size_ = size;
        return f;
    } catch (...) {
        ::munmap(map, size);
        throw;
    }
}

SafetensorsFile::SafetensorsFile(SafetensorsFile&& other) noexcept { *this = std::move(other); }

SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&& other) noexcept {
    if (this != &other) {
        release();
        path_ = std::move(other.path_);
        map_ = std::exchange(other.map_, nullptr);
        map_size_ = std::exchange(other.map_size_, 0);
        data_ = std::exchange(other.data_, nullptr);
        data_size_ = std::exchange(other.data_size_, 0);
        tensors_ = std::move(other.tensors_);
        index_ = std::move(other.index_);
        metadata_ = std::move(other.metadata_);
    }
    return *this;
}

SafetensorsFile::~SafetensorsFile() { release(); }

void SafetensorsFile::release() noexcept {
    if (map_) ::munmap(map_, map_size_);
    map_ = nullptr;
    map_size_ = 0;
}

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
    const auto it = index_.find(name);
    return it == index_.end() ? nullptr : &tensors_[it->second];
}

std::vector<float> SafetensorsFile::read_f32(const std::string& name) const {
    const TensorInfo* t = find(name);
    if (!t) throw Error(path_ + " has no tensor \"" + name + "\": the checkpoint does not match the expected model");
    const std::uint8_t* p = data_ + t->begin;
    const std::size_t n = (t->end - t->begin) / dtype_size(t->dtype);
    std::vector<float> out(n);
    switch (t->dtype) {
        case DType::F32:
            // Little-endian on disk and in memory (x86-64, ARM64); memcpy since the data may be unaligned.
            static_assert(std::endian::native == std::endian::little);
            if (n) std::memcpy(out.data(), p, n * sizeof(float));
            break;
        case DType::F16:
            for (std::size_t i = 0; i < n; ++i) out[i] = f16_to_f32(read_u16_le(p + 2 * i));
            break;
        case DType::BF16:
            for (std::size_t i = 0; i < n; ++i) out[i] = bf16_to_f32(read_u16_le(p + 2 * i));
            break;
    }
    return out;
}

void write_safetensors(const std::string& path, const std::vector<TensorF32>& tensors,
                       const std::map<std::string, std::string>& metadata) {
    json header = json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    std::size_t offset = 0;
    for (const TensorF32& t : tensors) {
        if (t.name.empty() || t.name == "__metadata__")
            throw Error("cannot write " + path + ": a tensor needs a name other than \"" + t.name + "\"");
        if (header.contains(t.name)) throw Error("cannot write " + path + ": tensor \"" + t.name + "\" given twice");
        std::size_t elements = 1;
        for (std::int64_t d : t.shape) {
            if (d < 0) throw Error("cannot write " + path + ": tensor \"" + t.name + "\" has a negative dimension");
            elements *= static_cast<std::size_t>(d);
        }
        if (elements != t.data.size())
            throw Error("cannot write " + path + ": tensor \"" + t.name + "\" has " + std::to_string(t.data.size()) +
                        " values but its shape holds " + std::to_string(elements));
        const std::size_t bytes = t.data.size() * sizeof(float);
        header[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');  // keeps the data section 8-byte aligned, as the reference writer does

    // Streamed rather than built in one string: a checkpoint can be half a gigabyte.
    write_file_atomic_with(path, [&](std::ostream& out) {
        std::uint8_t len[8];
        for (int i = 0; i < 8; ++i) len[i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(text.size()) >> (8 * i));
        out.write(reinterpret_cast<const char*>(len), 8);
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        for (const TensorF32& t : tensors)
            out.write(reinterpret_cast<const char*>(t.data.data()), static_cast<std::streamsize>(t.data.size() * sizeof(float)));
    });
}

}  // namespace attnscope
