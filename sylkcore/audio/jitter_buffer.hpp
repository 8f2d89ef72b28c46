// Adaptive jitter buffer for one audio input of 20 ms packets. The network side pushes packets
// as they arrive (any thread); the mixer pops one frame per 20 ms tick. The depth it waits for
// follows the measured interarrival jitter (RFC 3550 estimator): 1 to 10 frames.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

#include "../api.hpp"

namespace sylk::audio {

struct JitterStats {
    uint64_t received = 0;
    uint64_t lost = 0;       // concealed at playout
    uint64_t late = 0;       // arrived after their turn, dropped
    uint64_t duplicates = 0;
    uint64_t resets = 0;     // sequence or timestamp jumps that restarted the stream
    double jitterMs = 0;
    int targetFrames = 0;
    int bufferedFrames = 0;
};

class SYLK_API JitterBuffer {
public:
    enum class Pop { Frame, Lost, Empty };

    // clockRate: RTP timestamp rate of the input (8000 for G.711/G.722, 48000 for Opus).
    explicit JitterBuffer(int clockRate, int frameMs = 20);

    void push(uint16_t sequence, uint32_t timestamp, const uint8_t* payload, size_t length, int64_t arrivalUs);
    // Frame: payload holds the next packet. Lost: its turn came and it is missing (conceal).
    // Empty: nothing to play (not started, or drained: the input went quiet, e.g. DTX).
    Pop pop(std::vector<uint8_t>& payload);
    // After a Lost: the packet that follows the lost one, if it is already here (Opus carries
    // the lost frame's FEC in it). Copies; leaves it in place.
    bool peekNext(std::vector<uint8_t>& payload) const;
    JitterStats stats() const;

private:
    void updateJitter(uint32_t timestamp, int64_t arrivalUs);
    int targetFrames() const;

    mutable std::mutex mutex_;
    const int clockRate_;
    const int frameMs_;
    std::map<int64_t, std::vector<uint8_t>> packets_;  // by extended sequence number
    bool started_ = false;     // playout has begun
    int64_t nextSequence_ = 0; // extended sequence to play next
    int64_t highest_ = -1;     // highest extended sequence seen
    uint16_t lastRawSequence_ = 0;
    bool haveTransit_ = false;
    int64_t lastTransitUs_ = 0;
    double jitterUs_ = 0;
    JitterStats stats_;
};

}  // namespace sylk::audio
