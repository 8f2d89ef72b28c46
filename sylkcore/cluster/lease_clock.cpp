#include "lease_clock.hpp"

namespace sylk::cluster {
namespace {

class SteadyLeaseClock final : public LeaseClock {
public:
    TimePoint now() const override { return std::chrono::steady_clock::now(); }
};

}  // namespace

const LeaseClock& LeaseClock::steady() {
    static const SteadyLeaseClock clock;
    return clock;
}

}  // namespace sylk::cluster
