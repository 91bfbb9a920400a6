#pragma once
// Small string helpers shared by the lessons library's files (not installed).
#include <algorithm>
#include <string>
#include <vector>

namespace attnscope::lessons_detail {

inline bool contains(const std::vector<std::string>& list, const std::string& s) {
    return std::find(list.begin(), list.end(), s) != list.end();
}

inline std::string join(const std::vector<std::string>& list) {
    std::string out;
    for (const std::string& s : list) out += (out.empty() ? "" : ", ") + s;
    return out;
}

}  // namespace attnscope::lessons_detail
