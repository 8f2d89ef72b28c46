// XEP-0106 (JID escaping): the characters a JID local part escapes and the hex digits of an
// escape, shared by the room names (muc_naming) and the SIP users' JIDs (stox_address).
#pragma once

#include <utility>

namespace sylk::xmpp::xep0106 {

// §3.2: the ten characters escaped in a local part, and their escapes.
inline constexpr std::pair<char, const char*> kEscapes[] = {
    {' ', "\\20"}, {'"', "\\22"}, {'&', "\\26"}, {'\'', "\\27"}, {'/', "\\2f"},
    {':', "\\3a"}, {'<', "\\3c"}, {'>', "\\3e"}, {'@', "\\40"}, {'\\', "\\5c"},
};

// The value of one hex digit of an escape, or -1.
inline int hexValue(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

}  // namespace sylk::xmpp::xep0106
