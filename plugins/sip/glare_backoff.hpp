// The wait before retrying a re-INVITE the peer answered 491 Request Pending (glare: both
// sides offered at once). RFC 3261 §14.1: the side that generated the dialog's Call-ID waits
// 2.1 to 4 s, the other 0 to 2 s, each in steps of 10 ms, so that the two retries do not
// collide again.
#pragma once

#include <cstdint>
#include <random>

namespace sylk::sip {

inline int64_t glareBackoffUs(bool ownsCallId) {
    static thread_local std::mt19937 random{std::random_device{}()};
    std::uniform_int_distribution<int> steps(ownsCallId ? 210 : 0, ownsCallId ? 400 : 200);
    return static_cast<int64_t>(steps(random)) * 10000;
}

}  // namespace sylk::sip
