#include "jitter_buffer.hpp"

#include <algorithm>
#include <cmath>

namespace sylk::audio {
namespace {
constexpr int kMaxFrames = 10;
constexpr int64_t kResetGap = 200;  // packets: a jump this large is a new stream, not loss
}  // namespace

JitterBuffer::JitterBuffer(int clockRate, int frameMs) : clockRate_(clockRate), frameMs_(frameMs) {}

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
            packets_.clear();
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
    if (packets_.count(extended)) {
        ++stats_.duplicates;
        return;
    }
    packets_.emplace(extended, std::vector<uint8_t>(payload, payload + length));
    // Never hold more than the maximum: drop the oldest (we are too far behind).
    while (static_cast<int>(packets_.size()) > kMaxFrames * 2) {
        nextSequence_ = packets_.begin()->first + 1;
        packets_.erase(packets_.begin());
        ++stats_.lost;
    }
}

JitterBuffer::Pop JitterBuffer::pop(std::vector<uint8_t>& payload) {
    std::lock_guard lock(mutex_);
    if (!started_) {
        if (packets_.empty() || highest_ - packets_.begin()->first + 1 < targetFrames())
            return Pop::Empty;
        started_ = true;
        nextSequence_ = packets_.begin()->first;
    }
    auto it = packets_.find(nextSequence_);
    if (it != packets_.end()) {
        payload.swap(it->second);
        packets_.erase(it);
        ++nextSequence_;
        return Pop::Frame;
    }
    if (packets_.empty()) {
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
    auto it = packets_.find(nextSequence_);
    if (it == packets_.end())
        return false;
    payload = it->second;
    return true;
}

JitterStats JitterBuffer::stats() const {
    std::lock_guard lock(mutex_);
    JitterStats out = stats_;
    out.jitterMs = jitterUs_ / 1000.0;
    out.targetFrames = targetFrames();
    out.bufferedFrames = static_cast<int>(packets_.size());
    return out;
}

}  // namespace sylk::audio
