// The one mixing thread of the plugin: every 20 ms, on an absolute schedule, it ticks every room
// that has participants. Idle rooms are not registered and cost nothing.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "mix_room.hpp"

namespace sylk::audiomixer {

class MixerClock {
public:
    using RoomList = std::vector<std::shared_ptr<MixRoom>>;
    // Runs at the start of each tick, before mixing (plain RTP sockets are drained there).
    using BeforeTick = std::function<void()>;

    explicit MixerClock(BeforeTick beforeTick);
    ~MixerClock();

    void start();
    void stop();
    // Control loop: the rooms to tick.
    void setRooms(RoomList rooms) { rooms_.store(std::make_shared<const RoomList>(std::move(rooms))); }

    uint64_t ticks() const { return ticks_; }
    uint64_t missedDeadlines() const { return missed_; }  // a tick that started 20 ms late or more
    double busyFraction() const;                           // time spent mixing / wall time

private:
    void run();

    BeforeTick beforeTick_;
    std::atomic<std::shared_ptr<const RoomList>> rooms_{std::make_shared<const RoomList>()};
    std::atomic<bool> running_{false};
    std::thread thread_;
    std::atomic<uint64_t> ticks_{0};
    std::atomic<uint64_t> missed_{0};
    std::atomic<int64_t> busyUs_{0};
    std::atomic<int64_t> startedUs_{0};
};

}  // namespace sylk::audiomixer
