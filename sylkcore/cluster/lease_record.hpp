// The value of a room's entry in bucket sylk_rooms: {"node": id, "since": ms since the epoch}.
// Other nodes wrote it, so reading it trusts nothing: a value that is not such an object reads
// as nullopt, and the caller treats the room as owned by nobody it can name.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "../api.hpp"

namespace sylk::cluster {

struct SYLK_API LeaseRecord {
    static constexpr size_t kMaxNodeId = 256;

    std::string node;
    int64_t since = 0;  // when the owner claimed the room (wall clock, for people reading it)

    std::string encode() const;
    static std::optional<LeaseRecord> decode(std::string_view value);
};

}  // namespace sylk::cluster
