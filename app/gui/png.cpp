#include "gui/png.hpp"

#include <stb_image_write.h>

#include "attnscope/error.hpp"

namespace attnscope::gui {

std::string encode_png(const std::vector<unsigned char>& rgba, int w, int h) {
    std::string bytes;
    auto append = [](void* context, void* data, int size) {
        static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
    };
    if (!stbi_write_png_to_func(append, &bytes, w, h, 4, rgba.data(), w * 4))
        throw Error("cannot encode the PNG: out of memory");
    return bytes;
}

}  // namespace attnscope::gui
