#include "mixer_clock.hpp"

#include <glib.h>
#include <pthread.h>
#include <time.h>

#include <algorithm>
#include <string>

namespace sylk::audiomixer {
namespace {
constexpr int64_t kTickNs = 20'000'000;
}

MixerClock::MixerClock(int threads)
    : threads_(std::max(1, threads)), tickStart_(threads_), tickDone_(threads_) {}

MixerClock::~MixerClock() { stop(); }

void MixerClock::start() {
    if (running_.exchange(true))
        return;
    startedUs_ = g_get_monotonic_time();
    for (int i = 1; i < threads_; ++i)
        helpers_.emplace_back([this, i] {
            std::string name = "sylk-mixer-" + std::to_string(i);
            pthread_setname_np(pthread_self(), name.c_str());
            help();
        });
    clockThread_ = std::thread([this] { run(); });
}

void MixerClock::stop() {
    running_ = false;
    if (clockThread_.joinable())
        clockThread_.join();
    for (auto& helper : helpers_)
        helper.join();
    helpers_.clear();
}

double MixerClock::busyFraction() const {
    int64_t elapsed = g_get_monotonic_time() - startedUs_.load();
    return elapsed > 0 ? static_cast<double>(busyUs_.load()) / static_cast<double>(elapsed) : 0.0;
}

void MixerClock::mixShare() {
    const RoomList& rooms = *current_;
    for (size_t i = nextRoom_.fetch_add(1, std::memory_order_relaxed); i < rooms.size();
         i = nextRoom_.fetch_add(1, std::memory_order_relaxed))
        rooms[i]->tick();
}

void MixerClock::help() {
    for (;;) {
        tickStart_.arrive_and_wait();  // the barrier publishes current_, nextRoom_ and exiting_
        // Not running_: stop() may flip that while the clock is already in a tick the helpers
        // must finish with it; only the clock says when there are no more ticks.
        if (exiting_.load())
            return;
        mixShare();
        tickDone_.arrive_and_wait();
    }
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
        // Held for the whole tick: setRooms may replace the list meanwhile.
        current_ = rooms_.load(std::memory_order_acquire);
        nextRoom_.store(0, std::memory_order_relaxed);
        if (threads_ > 1 && current_->size() > 1) {
            tickStart_.arrive_and_wait();
            mixShare();
            tickDone_.arrive_and_wait();
        } else {
            for (const auto& room : *current_)
                room->tick();
        }
        busyUs_ += g_get_monotonic_time() - begin;
        ++ticks_;
    }
    current_.reset();
    exiting_ = true;
    if (threads_ > 1)
        tickStart_.arrive_and_wait();  // wakes the helpers, who see exiting_ and leave
}

}  // namespace sylk::audiomixer
