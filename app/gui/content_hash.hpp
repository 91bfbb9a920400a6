#pragma once
// A 64-bit hash of bytes, for telling whether something drawn changed since the last frame (a
// heatmap's values, a window's vertices). Runs every frame over megabytes, so it mixes 64-bit words
// in four independent lanes rather than bytes in one. Each step is a bijection of its lane for a
// given word, so what was added first is never washed out by what follows. Not for security.
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace attnscope::gui {

class ContentHash {
public:
    void add(const void* data, std::size_t bytes) {
        const auto* b = static_cast<const unsigned char*>(data);
        std::size_t i = 0;
        for (; i + 32 <= bytes; i += 32)
            for (int l = 0; l < 4; ++l) mix(lane_[l], word(b + i + 8 * l, 8));
        for (; i < bytes; i += 8) mix(lane_[0], word(b + i, bytes - i < 8 ? bytes - i : 8));
        length_ += bytes;
    }
    template <typename T>
    void add_value(const T& value) {  // a scalar or pointer, never a struct (padding bytes are not values)
        add(&value, sizeof value);
    }
    std::uint64_t value() const {
        std::uint64_t h = length_;
        for (std::uint64_t lane : lane_) {
            h = (h ^ lane) * 0xFF51AFD7ED558CCDull;
            h ^= h >> 33;
        }
        return h;
    }

private:
    static std::uint64_t word(const unsigned char* p, std::size_t n) {
        std::uint64_t w = 0;
        std::memcpy(&w, p, n);
        return w;
    }
    static void mix(std::uint64_t& lane, std::uint64_t w) {
        lane = (lane ^ w) * 0x9E3779B97F4A7C15ull;
        lane ^= lane >> 29;
    }
    std::uint64_t lane_[4] = {0xCBF29CE484222325ull, 0x84222325CBF29CE4ull, 0x9E3779B97F4A7C15ull, 0xC2B2AE3D27D4EB4Full};
    std::uint64_t length_ = 0;
};

}  // namespace attnscope::gui
