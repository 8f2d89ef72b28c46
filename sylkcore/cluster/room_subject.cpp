#include "room_subject.hpp"

namespace sylk::cluster {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

bool isPlain(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

int hexValue(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;  // lower case is refused: one name has exactly one token
}

}  // namespace

std::string RoomSubject::token(std::string_view roomName) {
    std::string token;
    token.reserve(roomName.size());
    for (char c : roomName) {
        auto byte = static_cast<unsigned char>(c);
        if (isPlain(byte)) {
            token += c;
        } else {
            token += '=';
            token += kHex[byte >> 4];
            token += kHex[byte & 0x0F];
        }
    }
    return token;
}

std::optional<std::string> RoomSubject::roomName(std::string_view token) {
    std::string name;
    name.reserve(token.size());
    for (size_t i = 0; i < token.size(); ++i) {
        auto byte = static_cast<unsigned char>(token[i]);
        if (isPlain(byte)) {
            name += token[i];
            continue;
        }
        if (byte != '=' || i + 2 >= token.size())
            return std::nullopt;
        int high = hexValue(token[i + 1]);
        int low = hexValue(token[i + 2]);
        if (high < 0 || low < 0)
            return std::nullopt;
        auto decoded = static_cast<unsigned char>(high << 4 | low);
        if (isPlain(decoded))
            return std::nullopt;
        name += static_cast<char>(decoded);
        i += 2;
    }
    return name;
}

std::string RoomSubject::prefix(std::string_view roomName) { return "sylk.room." + token(roomName); }

std::string RoomSubject::events(std::string_view roomName) { return prefix(roomName) + ".events"; }

}  // namespace sylk::cluster
