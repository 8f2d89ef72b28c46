// Flood control for what the bot sends: a token bucket. Servers disconnect ("Excess Flood") or
// delay clients that send faster than about one line a second after a short burst, so the bot
// sends a burst at once and then at a steady rate. Pure: the caller gives the time.
#pragma once

#include <chrono>

#include "../api.hpp"

namespace sylk::irc {

class SYLK_API TokenBucket {
public:
    using Clock = std::chrono::steady_clock;

    // rate: tokens added per second (> 0); burst: the most it holds (>= 1), and what it starts with.
    TokenBucket(double rate, double burst, Clock::time_point now);

    // Takes one token if there is one.
    bool take(Clock::time_point now);
    // How long until take() succeeds (zero when it would now).
    std::chrono::milliseconds wait(Clock::time_point now);

private:
    void refill(Clock::time_point now);

    double rate_;
    double burst_;
    double tokens_;
    Clock::time_point last_;
};

}  // namespace sylk::irc
