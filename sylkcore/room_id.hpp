// A room's identity. Clients name rooms by number (janus.js demos: 1234) or by name
// ("team@example.com"); both map to one key, and answers echo the form the room was made with.
#pragma once

#include <cstdint>
#include <string>

#include "api.hpp"
#include "json.hpp"
#include "request_reader.hpp"

namespace sylk {

struct SYLK_API RoomId {
    std::string key;
    Json value;  // integer or string, as first given

    // Reads field "room": a positive integer or a non-empty string of at most 256 bytes.
    static RoomId read(RequestReader& reader, bool required = true);
    static RoomId fromString(const std::string& name);
    bool empty() const { return key.empty(); }
};

// A random id below 2^53 (participants, rooms made without a name): JavaScript keeps every digit.
SYLK_API uint64_t randomId();

}  // namespace sylk
