// The Byte-Range header (RFC 4975 §9): start-end/total, 1-based and inclusive; end and total
// may be '*' (unknown: a chunk sent while its size was not known, or a message of unknown size).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sylkcore/api.hpp"

namespace sylk::msrp {

struct SYLK_API ByteRange {
    uint64_t start = 1;
    std::optional<uint64_t> end;    // nullopt: '*'
    std::optional<uint64_t> total;  // nullopt: '*'

    // Throws ParseError.
    static ByteRange parse(std::string_view text);
    std::string str() const;
};

}  // namespace sylk::msrp
