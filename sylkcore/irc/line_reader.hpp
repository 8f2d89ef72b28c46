// Cuts a server's byte stream into lines (LF, with or without CR before it), split anywhere
// across reads. Empty lines are skipped (RFC 2812 §2.3.1 allows them to be ignored).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "../api.hpp"

namespace sylk::irc {

class SYLK_API LineReader {
public:
    // A line longer than this (tags included) without its LF is a broken server: feed() throws
    // MessageError and the connection is dropped.
    static constexpr size_t kMaxBytes = 8191 + 512;

    // Calls line for every complete line in order; keeps the unfinished rest for the next call.
    void feed(const uint8_t* data, size_t size, const std::function<void(std::string_view line)>& line);
    void clear() { partial_.clear(); }
    size_t pending() const { return partial_.size(); }

private:
    std::string partial_;
};

}  // namespace sylk::irc
