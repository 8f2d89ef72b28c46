#include "room_key.hpp"

namespace sylk::cluster {

std::string roomKey(const std::string& roomName) {
    static const char kHex[] = "0123456789ABCDEF";
    std::string key;
    key.reserve(roomName.size());
    for (unsigned char byte : roomName) {
        bool plain = (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') || (byte >= '0' && byte <= '9') ||
                     byte == '_' || byte == '-';
        if (plain) {
            key += static_cast<char>(byte);
        } else {
            key += '=';
            key += kHex[byte >> 4];
            key += kHex[byte & 0x0F];
        }
    }
    return key;
}

}  // namespace sylk::cluster
