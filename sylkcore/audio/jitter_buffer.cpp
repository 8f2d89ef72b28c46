#include "jitter_buffer.hpp"

#include <algorithm>
#include <cmath>

namespace sylk::audio {
namespace {
constexpr int64_t kResetGap = 200;  // packets: a jump this large is a new stream, not loss
}  // namespace

JitterBuffer::JitterBuffer(int clockRate, int frameMs) : clockRate_(clockRate), frameMs_(frameMs) {
    for (auto& slot : slots_)
        slot.payload.reserve(kSlotBytes);
}

int JitterBuffer::targetFrames() const {
    // Two jitter deviations of headroom plus one frame, in whole frames.
    double frames = 2.0 * jitterUs_ / (frameMs_ * 1000.0);
    return std::clamp(static_cast<int>(std::ceil(frames)) + 1, 1, kMaxFrames);
}

void JitterBuffer::updateJitter(uint32_t timestamp, int64_t arrivalUs) {
    int64_t transit = arrivalUs - static_cast<int64_t>(timestamp) * 1'000'000 / clockRate_;
    if (haveTransit_) {
        double d = std::abs(static_cast<double>(transit - lastTransitUs_));
        if (d < 2'000'000)  // ignore timestamp jumps
            jitterUs_ += (d - jitterUs_) / 16.0;
    }
    lastTransitUs_ = transit;
    haveTransit_ = true;
}

JitterBuffer::Slot* JitterBuffer::find(int64_t sequence) {
    for (auto& slot : slots_) {
        if (slot.used && slot.sequence == sequence)
            return &slot;
    }
    return nullptr;
}

const JitterBuffer::Slot* JitterBuffer::find(int64_t sequence) const {
    for (const auto& slot : slots_) {
        if (slot.used && slot.sequence == sequence)
            return &slot;
    }
    return nullptr;
}

JitterBuffer::Slot* JitterBuffer::oldest() {
    Slot* found = nullptr;
    for (auto& slot : slots_) {
        if (slot.used && (!found || slot.sequence < found->sequence))
            found = &slot;
    }
    return found;
}

void JitterBuffer::clear() {
    for (auto& slot : slots_)
        slot.used = false;
    count_ = 0;
}

void JitterBuffer::push(uint16_t sequence, uint32_t timestamp, const uint8_t* payload, size_t length, int64_t arrivalUs) {
    std::lock_guard lock(mutex_);
    ++stats_.received;
    int64_t extended;
    if (highest_ < 0) {
        extended = sequence;
    } else {
        int16_t delta = static_cast<int16_t>(sequence - lastRawSequence_);
        extended = highest_ + delta;
        if (std::abs(static_cast<int64_t>(delta)) > kResetGap || extended < 0) {
            // A new stream (restart, SSRC change behind the same port): start over.
            clear();
            started_ = false;
            highest_ = -1;
            haveTransit_ = false;
            ++stats_.resets;
            extended = sequence;
        }
    }
    if (highest_ < 0 || extended > highest_) {
        highest_ = extended;
        lastRawSequence_ = sequence;
    }
    updateJitter(timestamp, arrivalUs);
    if (started_ && extended < nextSequence_) {
        ++stats_.late;
        return;
    }
    if (find(extended)) {
        ++stats_.duplicates;
        return;
    }
    Slot* slot = nullptr;
    if (count_ < kSlots) {
        for (auto& candidate : slots_) {
            if (!candidate.used) {
                slot = &candidate;
                break;
            }
        }
        ++count_;
    } else {
        // Never hold more than kSlots: the oldest of what is held and this one is dropped (we
        // are too far behind), and playout goes on after it.
        slot = oldest();
        ++stats_.lost;
        if (extended < slot->sequence) {
            nextSequence_ = extended + 1;
            return;
        }
        nextSequence_ = slot->sequence + 1;
    }
    slot->used = true;
    slot->sequence = extended;
    slot->payload.assign(payload, payload + length);
}

JitterBuffer::Pop JitterBuffer::pop(std::vector<uint8_t>& payload) {
    std::lock_guard lock(mutex_);
    if (!started_) {
        const Slot* first = oldest();
        if (!first || highest_ - first->sequence + 1 < targetFrames())
            return Pop::Empty;
        started_ = true;
        nextSequence_ = first->sequence;
    }
    if (Slot* slot = find(nextSequence_)) {
        payload.assign(slot->payload.begin(), slot->payload.end());
        slot->used = false;
        --count_;
        ++nextSequence_;
        return Pop::Frame;
    }
    if (count_ == 0) {
        // Drained: the sender paused (DTX, mute, hold). Wait for a new talk spurt.
        started_ = false;
        return Pop::Empty;
    }
    // The next one is missing but later ones are here: its turn has come.
    ++nextSequence_;
    ++stats_.lost;
    return Pop::Lost;
}

bool JitterBuffer::peekNext(std::vector<uint8_t>& payload) const {
    std::lock_guard lock(mutex_);
    const Slot* slot = find(nextSequence_);
    if (!slot)
        return false;
    payload.assign(slot->payload.begin(), slot->payload.end());
    return true;
}

JitterStats JitterBuffer::stats() const {
    std::lock_guard lock(mutex_);
    JitterStats out = stats_;
    out.jitterMs = jitterUs_ / 1000.0;
    out.targetFrames = targetFrames();
    out.bufferedFrames = count_;
    return out;
}

}  // namespace sylk::audio
