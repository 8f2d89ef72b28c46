// Decides from RFC 6464 audio levels whether a publisher is talking. Levels are -dBov (0 is
// loudest, 127 silence); the average over a window of packets below the threshold means
// talking. Fed by one media thread; pure, so unit-tested on its own.
#pragma once

#include <optional>

namespace sylk::audio {

class TalkDetector {
public:
    TalkDetector(int windowPackets = 50, int thresholdDbov = 40) : window_(windowPackets), threshold_(thresholdDbov) {}

    // Adds one packet's level; returns the new state when a window ends with a change.
    std::optional<bool> add(int level) {
        if (level < 0 || level > 127)
            return std::nullopt;
        sum_ += level;
        if (++count_ < window_)
            return std::nullopt;
        average_ = sum_ / count_;
        sum_ = 0;
        count_ = 0;
        bool now = average_ < threshold_;
        if (now == talking_)
            return std::nullopt;
        talking_ = now;
        return now;
    }
    bool talking() const { return talking_; }
    int lastAverage() const { return average_; }

private:
    int window_;
    int threshold_;
    int sum_ = 0;
    int count_ = 0;
    int average_ = 127;
    bool talking_ = false;
};

}  // namespace sylk::audio
