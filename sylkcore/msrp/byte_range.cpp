#include "byte_range.hpp"

#include "parse_error.hpp"
#include "text.hpp"

namespace sylk::msrp {

ByteRange ByteRange::parse(std::string_view input) {
    std::string_view value = text::trimmed(input);
    auto dash = value.find('-');
    auto slash = value.find('/');
    if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash)
        throw ParseError("bad Byte-Range: " + std::string(input.substr(0, 100)));
    ByteRange range;
    auto start = text::decimal(value.substr(0, dash));
    if (!start || *start == 0)
        throw ParseError("bad Byte-Range start: " + std::string(input.substr(0, 100)));
    range.start = *start;
    std::string_view end = value.substr(dash + 1, slash - dash - 1);
    std::string_view total = value.substr(slash + 1);
    if (end != "*") {
        auto number = text::decimal(end);
        // start-1 is an empty range (1-0/0: an empty message).
        if (!number || *number + 1 < range.start)
            throw ParseError("bad Byte-Range end: " + std::string(input.substr(0, 100)));
        range.end = number;
    }
    if (total != "*") {
        auto number = text::decimal(total);
        if (!number || (range.end && *range.end > *number) || range.start > *number + 1)
            throw ParseError("bad Byte-Range total: " + std::string(input.substr(0, 100)));
        range.total = number;
    }
    return range;
}

std::string ByteRange::str() const {
    return std::to_string(start) + "-" + (end ? std::to_string(*end) : "*") + "/" +
           (total ? std::to_string(*total) : "*");
}

}  // namespace sylk::msrp
