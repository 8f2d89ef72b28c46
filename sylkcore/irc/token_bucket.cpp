#include "token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace sylk::irc {

TokenBucket::TokenBucket(double rate, double burst, Clock::time_point now)
    : rate_(std::max(rate, 0.001)), burst_(std::max(burst, 1.0)), tokens_(burst_), last_(now) {}

void TokenBucket::refill(Clock::time_point now) {
    if (now <= last_)
        return;
    double seconds = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + seconds * rate_);
    last_ = now;
}

bool TokenBucket::take(Clock::time_point now) {
    refill(now);
    if (tokens_ < 1.0)
        return false;
    tokens_ -= 1.0;
    return true;
}

std::chrono::milliseconds TokenBucket::wait(Clock::time_point now) {
    refill(now);
    if (tokens_ >= 1.0)
        return std::chrono::milliseconds(0);
    return std::chrono::milliseconds(static_cast<int64_t>(std::ceil((1.0 - tokens_) / rate_ * 1000.0)));
}

}  // namespace sylk::irc
