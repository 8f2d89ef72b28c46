#include "room_link.hpp"

namespace sylk::http {

std::optional<std::string> RoomLink::roomOf(std::string_view decodedPath) {
    if (decodedPath.substr(0, kPrefix.size()) != kPrefix)
        return std::nullopt;
    std::string_view room = decodedPath.substr(kPrefix.size());
    if (room.empty() || room.size() > kMaxRoomLength)
        return std::nullopt;
    return std::string(room);
}

}  // namespace sylk::http
