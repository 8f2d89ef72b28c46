// The mixing clock of the plugin: every 20 ms, on an absolute schedule, it ticks every room
// that has participants. Idle rooms are not registered and cost nothing.
//
// One room is always mixed by one thread at a time, but different rooms are mixed in parallel:
// the clock thread and its helpers take rooms off this tick's list one by one (an atomic index),
// so a large room does not hold up the small ones behind a fixed assignment, and the tick ends
// when the last room is done. One thread per core is the default; with one thread nothing is
// handed over at all.
#pragma once

#include <atomic>
#include <barrier>
#include <memory>
#include <thread>
#include <vector>

#include "mix_room.hpp"

namespace sylk::audiomixer {

class MixerClock {
public:
    using RoomList = std::vector<std::shared_ptr<MixRoom>>;

    explicit MixerClock(int threads);
    ~MixerClock();

    void start();
    void stop();
    // Control loop: the rooms to tick.
    void setRooms(RoomList rooms) { rooms_.store(std::make_shared<const RoomList>(std::move(rooms))); }

    int threads() const { return threads_; }
    uint64_t ticks() const { return ticks_; }
    uint64_t missedDeadlines() const { return missed_; }  // a tick that started 20 ms late or more
    double busyFraction() const;                           // wall time spent mixing / wall time

private:
    void run();                 // the clock thread
    void help();                // a helper thread
    void mixShare();            // takes rooms off the current tick's list until none is left

    const int threads_;
    std::atomic<std::shared_ptr<const RoomList>> rooms_{std::make_shared<const RoomList>()};
    std::shared_ptr<const RoomList> current_;  // this tick's list; written before tickStart_
    std::atomic<size_t> nextRoom_{0};
    std::barrier<> tickStart_;
    std::barrier<> tickDone_;
    std::atomic<bool> running_{false};  // stop() clears it; the clock finishes its tick and ends
    std::atomic<bool> exiting_{false};  // set by the clock before the helpers' last wake-up
    std::thread clockThread_;
    std::vector<std::thread> helpers_;
    std::atomic<uint64_t> ticks_{0};
    std::atomic<uint64_t> missed_{0};
    std::atomic<int64_t> busyUs_{0};
    std::atomic<int64_t> startedUs_{0};
};

}  // namespace sylk::audiomixer
