// The audio mixer's clock with helper threads: every active room is mixed once per tick, and
// stop() returns whenever it comes (it once hung when it came during the clock's sleep with two
// or more rooms: the helpers left before the tick they had been woken for was done).
#include <chrono>
#include <future>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "plugins/audiomixer/mixer_clock.hpp"
// cmocka defines fail(): include it after the C++ library headers
#include "cmocka_cpp.hpp"

using namespace sylk::audiomixer;

namespace {

class CountingSink : public AudioSink {
public:
    explicit CountingSink(std::atomic<int>& sent) : sent_(sent) {}
    void send(uint8_t*, size_t) override { ++sent_; }

private:
    std::atomic<int>& sent_;
};

}  // namespace

static void mixes_every_room_each_tick_and_stops_at_any_moment(void**) {
    constexpr int kRooms = 6;
    std::vector<std::shared_ptr<MixRoom>> rooms;
    std::vector<std::atomic<int>> sent(kRooms);
    for (int i = 0; i < kRooms; ++i) {
        auto room = std::make_shared<MixRoom>("room" + std::to_string(i), MixRoomSettings{}, nullptr);
        // One silent listener each: it gets the room's shared mix every tick.
        room->add(std::make_shared<MixParticipant>(i + 1, "p", sylk::audio::CodecId::Pcmu, 0, 48000,
                                                   std::make_unique<CountingSink>(sent[i])));
        rooms.push_back(room);
    }
    std::mt19937 random(7);
    uint64_t ticks = 0;
    for (int round = 0; round < 25; ++round) {
        auto clock = std::make_shared<MixerClock>(3);
        clock->setRooms(rooms);
        clock->start();
        std::this_thread::sleep_for(std::chrono::milliseconds(20 + random() % 40));
        // stop() on a thread of its own, so that a hang fails the test instead of blocking it
        auto done = std::make_shared<std::promise<void>>();
        auto stopped = done->get_future();
        std::thread([clock, done] {
            clock->stop();
            done->set_value();
        }).detach();
        if (stopped.wait_for(std::chrono::seconds(2)) != std::future_status::ready)
            fail_msg("MixerClock::stop() did not return (round %d)", round);
        ticks += clock->ticks();
    }
    assert_true(ticks > 25);
    for (int i = 0; i < kRooms; ++i) {
        assert_int_equal(rooms[static_cast<size_t>(i)]->stats.ticks.load(), ticks);
        assert_int_equal(sent[static_cast<size_t>(i)].load(), static_cast<int>(ticks));
    }
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mixes_every_room_each_tick_and_stops_at_any_moment),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
