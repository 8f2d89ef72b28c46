// Room links: "/r/<room>" is the conference page opened on that room (issue 16). The server
// answers every such path with room.html itself; the page reads the room from its address.
// Pure string logic, no HTTP, so it is unit-tested and fuzzed on its own.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sylk::http {

class RoomLink {
public:
    static constexpr std::string_view kPrefix = "/r/";
    // The page every room link serves (a path for StaticSite::resolve).
    static constexpr std::string_view kPage = "/room.html";
    // Longest room name a link may carry; longer ones are no room link (404).
    static constexpr size_t kMaxRoomLength = 1024;

    // The room a decoded URL path names ("/r/lobby" -> "lobby", "/r/a b/c" -> "a b/c"), or
    // nullopt when the path is not a room link. The name is never used as a file path: any
    // text, "..", "/" and all, only selects which room the page offers to join.
    static std::optional<std::string> roomOf(std::string_view decodedPath);
};

}  // namespace sylk::http
