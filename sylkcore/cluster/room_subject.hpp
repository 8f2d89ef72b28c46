// A room name as one token of a NATS subject (and a NATS KV key): sylk.room.<token>.events.
//
// Room names are free text: "team.blue" would split a subject in two, "*" and ">" are subject
// wildcards, spaces and non-ASCII are not allowed at all. Every byte outside [A-Za-z0-9_-]
// (the '=' escape itself included) is written as "=XX", upper-case hex, so any byte string
// maps to a token and back unchanged, and the token is also a valid KV key ([-/_=.a-zA-Z0-9]).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "../api.hpp"

namespace sylk::cluster {

class SYLK_API RoomSubject {
public:
    // The token of a room name; an empty name gives an empty token (no room is named "").
    static std::string token(std::string_view roomName);
    // The room name of a token, or nullopt if the token is not one token() makes (a byte outside
    // the alphabet, a malformed or lower-case escape, an escape of a byte that needs none).
    static std::optional<std::string> roomName(std::string_view token);

    // "sylk.room.<token>": the prefix of all of a room's subjects.
    static std::string prefix(std::string_view roomName);
    // "sylk.room.<token>.events": the room's hub events.
    static std::string events(std::string_view roomName);
};

}  // namespace sylk::cluster
