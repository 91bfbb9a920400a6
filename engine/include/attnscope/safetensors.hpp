#pragma once
// Safetensors files (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length N, N bytes of JSON {"name": {"dtype", "shape", "data_offsets": [begin, end]},
// "__metadata__": {str: str}}, then the raw little-endian tensor data. Opened memory-mapped, so
// loading a 500 MB checkpoint costs only the conversion of the tensors actually read.
// Pickle checkpoints (pytorch_model.bin) are never loaded: they can run arbitrary code.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace attnscope {

enum class DType { F32, F16, BF16 };

std::size_t dtype_size(DType dtype);        // bytes per element: 4, 2, 2
const char* dtype_name(DType dtype);        // "F32", "F16", "BF16"

struct TensorInfo {
    std::string name;
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape;
    std::size_t begin = 0, end = 0;  // byte range in the data section
};

// Memory-mapped, read-only, move-only. open() throws attnscope::Error on any malformed file.
class SafetensorsFile {
public:
    static SafetensorsFile open(const std::string& path);
    // Parses a whole file already in memory (the fuzz target and tests use it); the bytes must
    // outlive the returned object.
    static SafetensorsFile parse(const std::uint8_t* bytes, std::size_t size, const std::string& label);

    SafetensorsFile(SafetensorsFile&& other) noexcept;
    SafetensorsFile& operator=(SafetensorsFile&& other) noexcept;
    SafetensorsFile(const SafetensorsFile&) = delete;
    SafetensorsFile& operator=(const SafetensorsFile&) = delete;
    ~SafetensorsFile();

    const std::vector<TensorInfo>& tensors() const { return tensors_; }
    const TensorInfo* find(const std::string& name) const;       // nullptr if absent
    std::vector<float> read_f32(const std::string& name) const;  // F16/BF16 converted; throws Error naming a missing tensor
    const std::map<std::string, std::string>& metadata() const { return metadata_; }  // "__metadata__"
    const std::string& path() const { return path_; }

private:
    SafetensorsFile() = default;
    void release() noexcept;

    std::string path_;
    void* map_ = nullptr;          // the mmap'ed file, or nullptr when parse() was given bytes
    std::size_t map_size_ = 0;
    const std::uint8_t* data_ = nullptr;  // start of the data section
    std::size_t data_size_ = 0;
    std::vector<TensorInfo> tensors_;     // in file order (by begin offset)
    std::map<std::string, std::size_t> index_;
    std::map<std::string, std::string> metadata_;
};

struct TensorF32 {
    std::string name;
    std::vector<std::int64_t> shape;
    std::vector<float> data;
};

// F32 tensors, written atomically (PATH.tmp then rename). Throws Error when a tensor's data size
// does not match its shape, names repeat, or the folder is not writable.
void write_safetensors(const std::string& path, const std::vector<TensorF32>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// Half-precision conversions (exact: every F16 and BF16 value is a float).
float f16_to_f32(std::uint16_t bits);
float bf16_to_f32(std::uint16_t bits);

}  // namespace attnscope
