#pragma once
// What the targets for files a user is handed check of each attnscope::Error they catch: the message
// reaches a terminal (the CLI prints it) and the GUI as it is, so it may hold no C0 control character
// but newline and tab (DEL is harmless: terminals ignore it). A value from a hostile file (a terminal escape sequence such as ESC ] 0 ;
// title BEL, or ESC [ 2 J) must come out quoted, as quote_json (engine/src/json_input.cpp) writes it.
#include "attnscope/error.hpp"

inline void check_message(const attnscope::Error& e) {
    for (const char* p = e.what(); *p; ++p) {
        const auto c = static_cast<unsigned char>(*p);
        if (c < 0x20 && c != '\n' && c != '\t') __builtin_trap();
    }
}
