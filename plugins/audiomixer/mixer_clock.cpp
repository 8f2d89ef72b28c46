#include "mixer_clock.hpp"

#include <glib.h>
#include <pthread.h>
#include <time.h>

namespace sylk::audiomixer {
namespace {
constexpr int64_t kTickNs = 20'000'000;
}

MixerClock::MixerClock(BeforeTick beforeTick) : beforeTick_(std::move(beforeTick)) {}

MixerClock::~MixerClock() { stop(); }

void MixerClock::start() {
    if (running_.exchange(true))
        return;
    startedUs_ = g_get_monotonic_time();
    thread_ = std::thread([this] { run(); });
}

void MixerClock::stop() {
    running_ = false;
    if (thread_.joinable())
        thread_.join();
}

double MixerClock::busyFraction() const {
    int64_t elapsed = g_get_monotonic_time() - startedUs_.load();
    return elapsed > 0 ? static_cast<double>(busyUs_.load()) / static_cast<double>(elapsed) : 0.0;
}

void MixerClock::run() {
    pthread_setname_np(pthread_self(), "sylk-mixer");
    timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    while (running_.load(std::memory_order_relaxed)) {
        next.tv_nsec += kTickNs;
        while (next.tv_nsec >= 1'000'000'000) {
            next.tv_nsec -= 1'000'000'000;
            ++next.tv_sec;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nullptr);
        timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t lateNs = (now.tv_sec - next.tv_sec) * 1'000'000'000 + (now.tv_nsec - next.tv_nsec);
        if (lateNs >= kTickNs) {
            ++missed_;
            next = now;  // do not try to catch up with a burst of ticks
        }
        int64_t begin = g_get_monotonic_time();
        if (beforeTick_)
            beforeTick_();
        // The list must outlive the loop: a range-for over *load() would keep only the vector
        // reference while the shared_ptr holding it is gone (and setRooms may free it).
        auto rooms = rooms_.load(std::memory_order_acquire);
        for (const auto& room : *rooms)
            room->tick();
        busyUs_ += g_get_monotonic_time() - begin;
        ++ticks_;
    }
}

}  // namespace sylk::audiomixer
