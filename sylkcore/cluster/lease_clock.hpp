// The time a lease holder reasons with. Leases are decided on a monotonic clock (a wall-clock
// step must never make a node believe it still owns a room), and tests replace it with a fake
// one to walk a lease past its deadline without waiting for it.
#pragma once

#include <chrono>

#include "../api.hpp"

namespace sylk::cluster {

class SYLK_API LeaseClock {
public:
    using TimePoint = std::chrono::steady_clock::time_point;
    virtual ~LeaseClock() = default;
    virtual TimePoint now() const = 0;

    // The process's monotonic clock (std::chrono::steady_clock).
    static const LeaseClock& steady();
};

}  // namespace sylk::cluster
