// The chunks of one incoming message put back together (RFC 4975 §7.1.3): by Byte-Range, in any
// order, a range already received ignored, complete once every byte of a known total arrived
// (or the last chunk '$' closed a message of unknown size with no holes left).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sylkcore/api.hpp"

namespace sylk::msrp {

class SYLK_API IncomingAssembly {
public:
    // streaming: the data is handed on (add returns the new parts) rather than held.
    explicit IncomingAssembly(bool streaming = false) : streaming_(streaming) {}

    // Adds data at offset (0-based). last: the chunk ended with '$'. total: Byte-Range's total
    // when known. Returns the bytes of this chunk not seen before (their offset in *newOffset),
    // for a streaming consumer; "" when it brought nothing new.
    std::string_view add(uint64_t offset, std::string_view data, bool last, std::optional<uint64_t> total,
                         uint64_t* newOffset = nullptr);
    bool complete() const;
    // Bytes received (without duplicates).
    uint64_t received() const { return received_; }
    // The biggest size known so far: the total, or the end of the furthest chunk.
    uint64_t extent() const;
    std::optional<uint64_t> total() const { return total_; }
    // The message (non-streaming); moves it out.
    std::string take();

    // Headers of the first chunk, kept for onMessage.
    std::string contentType;
    std::vector<std::pair<std::string, std::string>> headers;
    bool streaming() const { return streaming_; }

private:
    bool streaming_;
    std::string data_;
    std::map<uint64_t, uint64_t> ranges_;  // start -> end (exclusive), merged, disjoint
    uint64_t received_ = 0;
    std::optional<uint64_t> total_;
    std::optional<uint64_t> lastEnd_;  // end of the chunk that carried '$'
};

}  // namespace sylk::msrp
