// Adaptive jitter buffer for one audio input of 20 ms packets. The network side pushes packets
// as they arrive (any thread); the mixer pops one frame per 20 ms tick. The depth it waits for
// follows the measured interarrival jitter (RFC 3550 estimator): 1 to 10 frames.
//
// Packets wait in a fixed ring of kSlots slots whose buffers are allocated once (with room for
// kSlotBytes each; a bigger payload grows its slot once), so the media path does not allocate
// per packet. pop() and peekNext() copy into the caller's buffer: a caller that keeps one buffer
// does not allocate either.
#pragma once

#include <array>
#include <cstdint>
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
    static constexpr int kMaxFrames = 10;         // the deepest playout delay, in frames
    static constexpr int kSlots = kMaxFrames * 2; // packets held at most; beyond, the oldest goes
    static constexpr size_t kSlotBytes = 1500;    // an MTU: every 20 ms audio frame fits

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
    struct Slot {
        bool used = false;
        int64_t sequence = 0;          // extended sequence number
        std::vector<uint8_t> payload;  // capacity kept across packets
    };

    void updateJitter(uint32_t timestamp, int64_t arrivalUs);
    int targetFrames() const;
    // The used slot holding sequence, or nullptr.
    Slot* find(int64_t sequence);
    const Slot* find(int64_t sequence) const;
    // The used slot with the lowest sequence (the oldest packet), or nullptr when empty.
    Slot* oldest();
    void clear();

    mutable std::mutex mutex_;
    const int clockRate_;
    const int frameMs_;
    std::array<Slot, kSlots> slots_;
    int count_ = 0;            // used slots
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
