// Packet counters of the echo application, kept per session and summed for the plugin. Updated
// on the media path with relaxed atomics: they are statistics, not synchronisation.
#pragma once

#include <atomic>
#include <cstdint>

#include "sylkcore/json.hpp"

namespace sylk::echo {

struct EchoCounters {
    std::atomic<uint64_t> audioPackets{0};
    std::atomic<uint64_t> videoPackets{0};
    std::atomic<uint64_t> rtcpPackets{0};
    std::atomic<uint64_t> dataMessages{0};
    std::atomic<uint64_t> bytes{0};

    uint64_t packetsRelayed() const { return audioPackets + videoPackets; }
    Json toJson() const {
        Json json = Json::object();
        json.set("audio_packets", static_cast<json_int_t>(audioPackets.load()))
            .set("video_packets", static_cast<json_int_t>(videoPackets.load()))
            .set("rtcp_packets", static_cast<json_int_t>(rtcpPackets.load()))
            .set("data_messages", static_cast<json_int_t>(dataMessages.load()))
            .set("bytes", static_cast<json_int_t>(bytes.load()))
            .set("packets_relayed", static_cast<json_int_t>(packetsRelayed()));
        return json;
    }
};

inline void count(std::atomic<uint64_t>& counter, uint64_t n = 1) { counter.fetch_add(n, std::memory_order_relaxed); }

}  // namespace sylk::echo
