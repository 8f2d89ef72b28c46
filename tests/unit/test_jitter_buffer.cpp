// The jitter buffer keeps packets in a fixed ring of slots so the media path does not allocate.
// These tests hold it to the behaviour of the std::map version it replaced (kept below as the
// reference) over long random streams with reordering, loss, duplicates, late packets,
// sequence wrap-around, restarts and overflow, and count heap allocations per packet.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <random>
#include <vector>

#include "sylkcore/audio/jitter_buffer.hpp"
// cmocka defines fail(): include it after the C++ library headers
#include "cmocka_cpp.hpp"

using namespace sylk::audio;

// Every operator new of this test binary is counted (all go to malloc, as all deletes to free). Not inlined: GCC would otherwise see
// free() on memory from operator new and warn of a mismatch that is not there.
static std::atomic<uint64_t> allocations{0};
__attribute__((noinline)) void* operator new(size_t size) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size ? size : 1))
        return p;
    throw std::bad_alloc();
}
void* operator new[](size_t size) { return operator new(size); }
__attribute__((noinline)) void* operator new(size_t size, const std::nothrow_t&) noexcept {
    allocations.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(size ? size : 1);
}
void* operator new[](size_t size, const std::nothrow_t& tag) noexcept { return operator new(size, tag); }
__attribute__((noinline)) void operator delete(void* p) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete[](void* p) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete(void* p, size_t) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete[](void* p, size_t) noexcept { std::free(p); }

namespace {

// The jitter buffer as it was before the ring (one std::map node and vector per packet).
class MapJitterBuffer {
public:
    explicit MapJitterBuffer(int clockRate, int frameMs = 20) : clockRate_(clockRate), frameMs_(frameMs) {}

    void push(uint16_t sequence, uint32_t timestamp, const uint8_t* payload, size_t length, int64_t arrivalUs) {
        ++stats_.received;
        int64_t extended;
        if (highest_ < 0) {
            extended = sequence;
        } else {
            int16_t delta = static_cast<int16_t>(sequence - lastRawSequence_);
            extended = highest_ + delta;
            if (std::abs(static_cast<int64_t>(delta)) > 200 || extended < 0) {
                packets_.clear();
                started_ = false;
                highest_ = -1;
                haveTransit_ = false;
                ++stats_.resets;
                extended = sequence;
            }
        }
        if (highest_ < 0 || extended > highest_) {
            highest_ = extended;
            lastRawSequence_ = sequence;
        }
        updateJitter(timestamp, arrivalUs);
        if (started_ && extended < nextSequence_) {
            ++stats_.late;
            return;
        }
        if (packets_.count(extended)) {
            ++stats_.duplicates;
            return;
        }
        packets_.emplace(extended, std::vector<uint8_t>(payload, payload + length));
        while (static_cast<int>(packets_.size()) > 20) {
            nextSequence_ = packets_.begin()->first + 1;
            packets_.erase(packets_.begin());
            ++stats_.lost;
        }
    }

    JitterBuffer::Pop pop(std::vector<uint8_t>& payload) {
        if (!started_) {
            if (packets_.empty() || highest_ - packets_.begin()->first + 1 < targetFrames())
                return JitterBuffer::Pop::Empty;
            started_ = true;
            nextSequence_ = packets_.begin()->first;
        }
        auto it = packets_.find(nextSequence_);
        if (it != packets_.end()) {
            payload.swap(it->second);
            packets_.erase(it);
            ++nextSequence_;
            return JitterBuffer::Pop::Frame;
        }
        if (packets_.empty()) {
            started_ = false;
            return JitterBuffer::Pop::Empty;
        }
        ++nextSequence_;
        ++stats_.lost;
        return JitterBuffer::Pop::Lost;
    }

    bool peekNext(std::vector<uint8_t>& payload) const {
        auto it = packets_.find(nextSequence_);
        if (it == packets_.end())
            return false;
        payload = it->second;
        return true;
    }

    JitterStats stats() const {
        JitterStats out = stats_;
        out.jitterMs = jitterUs_ / 1000.0;
        out.targetFrames = targetFrames();
        out.bufferedFrames = static_cast<int>(packets_.size());
        return out;
    }

private:
    int targetFrames() const {
        double frames = 2.0 * jitterUs_ / (frameMs_ * 1000.0);
        return std::clamp(static_cast<int>(std::ceil(frames)) + 1, 1, 10);
    }
    void updateJitter(uint32_t timestamp, int64_t arrivalUs) {
        int64_t transit = arrivalUs - static_cast<int64_t>(timestamp) * 1'000'000 / clockRate_;
        if (haveTransit_) {
            double d = std::abs(static_cast<double>(transit - lastTransitUs_));
            if (d < 2'000'000)
                jitterUs_ += (d - jitterUs_) / 16.0;
        }
        lastTransitUs_ = transit;
        haveTransit_ = true;
    }

    const int clockRate_;
    const int frameMs_;
    std::map<int64_t, std::vector<uint8_t>> packets_;
    bool started_ = false;
    int64_t nextSequence_ = 0;
    int64_t highest_ = -1;
    uint16_t lastRawSequence_ = 0;
    bool haveTransit_ = false;
    int64_t lastTransitUs_ = 0;
    double jitterUs_ = 0;
    JitterStats stats_;
};

void assertSameStats(const JitterStats& a, const JitterStats& b) {
    assert_int_equal(a.received, b.received);
    assert_int_equal(a.lost, b.lost);
    assert_int_equal(a.late, b.late);
    assert_int_equal(a.duplicates, b.duplicates);
    assert_int_equal(a.resets, b.resets);
    assert_true(a.jitterMs == b.jitterMs);
    assert_int_equal(a.targetFrames, b.targetFrames);
    assert_int_equal(a.bufferedFrames, b.bufferedFrames);
}

// One random stream: a sender at 20 ms per packet whose packets the network reorders, drops,
// duplicates, delays by up to 200 ms and sometimes holds back in a burst; the sender sometimes
// restarts (sequence jump), goes quiet (DTX) or wraps its 16-bit sequence number.
struct Event {
    bool isPop;
    uint16_t sequence;
    uint32_t timestamp;
    std::vector<uint8_t> payload;
    int64_t arrivalUs;
};

std::vector<Event> randomStream(uint32_t seed, int packets) {
    std::mt19937 random(seed);
    auto chance = [&](int percent) { return static_cast<int>(random() % 100) < percent; };
    std::vector<Event> arrivals;
    uint16_t sequence = static_cast<uint16_t>(random());
    uint32_t timestamp = static_cast<uint32_t>(random());
    int64_t sendUs = 1'000'000;
    for (int i = 0; i < packets; ++i) {
        if (chance(1))
            sequence = static_cast<uint16_t>(sequence + 300 + random() % 30000);  // restart
        if (chance(2))
            sendUs += 200'000 + random() % 400'000;  // quiet (DTX, hold)
        size_t length = 1 + random() % (chance(2) ? 2000 : 400);  // a few beyond a slot's room
        std::vector<uint8_t> payload(length);
        for (auto& byte : payload)
            byte = static_cast<uint8_t>(random());
        int64_t delay = 5'000 + (chance(10) ? random() % 200'000 : random() % 30'000);
        if (!chance(5)) {  // 5% lost on the way
            arrivals.push_back({false, sequence, timestamp, payload, sendUs + delay});
            if (chance(3))  // duplicated
                arrivals.push_back({false, sequence, timestamp, payload, sendUs + delay + static_cast<int64_t>(random() % 50'000)});
        }
        ++sequence;
        timestamp += 960;
        sendUs += 20'000;
    }
    std::stable_sort(arrivals.begin(), arrivals.end(), [](const Event& a, const Event& b) { return a.arrivalUs < b.arrivalUs; });
    // The mixer's ticks, every 20 ms, interleaved by time; sometimes the mixer stalls (no pops
    // for a while), so more than the ring holds piles up.
    std::vector<Event> events;
    int64_t tickUs = arrivals.empty() ? 0 : arrivals.front().arrivalUs;
    for (auto& arrival : arrivals) {
        while (tickUs <= arrival.arrivalUs) {
            if (!chance(1))
                events.push_back({true, 0, 0, {}, tickUs});
            else
                tickUs += 600'000;  // stall
            tickUs += 20'000;
        }
        events.push_back(std::move(arrival));
    }
    return events;
}

void jitter_buffer_behaves_as_the_map_version(void**) {
    uint64_t pops = 0, lost = 0, overflowed = 0, resets = 0, late = 0;
    for (uint32_t seed = 1; seed <= 40; ++seed) {
        JitterBuffer ring(48000);
        MapJitterBuffer reference(48000);
        std::vector<uint8_t> got, expected;
        for (const auto& event : randomStream(seed, 3000)) {
            if (!event.isPop) {
                ring.push(event.sequence, event.timestamp, event.payload.data(), event.payload.size(), event.arrivalUs);
                reference.push(event.sequence, event.timestamp, event.payload.data(), event.payload.size(), event.arrivalUs);
                assertSameStats(ring.stats(), reference.stats());
                overflowed += ring.stats().bufferedFrames == JitterBuffer::kSlots ? 1 : 0;
                continue;
            }
            auto a = ring.pop(got);
            auto b = reference.pop(expected);
            assert_int_equal(static_cast<int>(a), static_cast<int>(b));
            if (a == JitterBuffer::Pop::Frame) {
                assert_true(got == expected);
                ++pops;
            }
            if (a == JitterBuffer::Pop::Lost) {
                bool ringHas = ring.peekNext(got);
                assert_int_equal(ringHas, reference.peekNext(expected));
                if (ringHas)
                    assert_true(got == expected);
            }
            assertSameStats(ring.stats(), reference.stats());
        }
        lost += ring.stats().lost;
        resets += ring.stats().resets;
        late += ring.stats().late;
    }
    // The streams did exercise every path.
    assert_true(pops > 50'000);
    assert_true(lost > 1000);
    assert_true(resets > 100);
    assert_true(late > 100);
    assert_true(overflowed > 10);
}

// A full ring and a packet older than all it holds (the one playout waits for, arriving last):
// the map version inserted it and dropped its oldest, i.e. this very packet.
void jitter_buffer_full_ring_drops_the_oldest_as_the_map_did(void**) {
    for (bool started : {false, true}) {
        JitterBuffer ring(8000);
        MapJitterBuffer reference(8000);
        std::vector<uint8_t> got, expected;
        auto push = [&](uint16_t sequence) {
            uint8_t byte = static_cast<uint8_t>(sequence);
            ring.push(sequence, sequence * 160u, &byte, 1, 1'000'000 + sequence * 20'000);
            reference.push(sequence, sequence * 160u, &byte, 1, 1'000'000 + sequence * 20'000);
        };
        push(100);
        if (started) {
            assert_int_equal(static_cast<int>(ring.pop(got)), static_cast<int>(JitterBuffer::Pop::Frame));
            reference.pop(expected);
        }
        for (uint16_t sequence = 102; sequence < 102 + JitterBuffer::kSlots; ++sequence)
            push(sequence);
        assert_int_equal(ring.stats().bufferedFrames, JitterBuffer::kSlots);  // full
        push(started ? 101 : 99);  // older than everything held
        push(200);
        assertSameStats(ring.stats(), reference.stats());
        for (;;) {
            auto a = ring.pop(got);
            auto b = reference.pop(expected);
            assert_int_equal(static_cast<int>(a), static_cast<int>(b));
            if (a == JitterBuffer::Pop::Empty)
                break;
            if (a == JitterBuffer::Pop::Frame)
                assert_true(got == expected);
            assertSameStats(ring.stats(), reference.stats());
        }
    }
}

void jitter_buffer_does_not_allocate_per_packet(void**) {
    JitterBuffer ring(48000);
    MapJitterBuffer reference(48000);
    std::vector<uint8_t> payload(1500), out;
    out.reserve(1500);
    auto run = [&](auto& buffer, uint16_t first, int packets) {
        uint64_t before = allocations.load();
        for (int i = 0; i < packets; ++i) {
            uint16_t sequence = static_cast<uint16_t>(first + i);
            if (i % 10 != 3)  // every tenth lost: the Lost and peekNext paths too
                buffer.push(sequence, sequence * 960u, payload.data(), 100 + i % 1400, 1'000'000 + i * 20'000);
            if (i >= 3 && buffer.pop(out) == JitterBuffer::Pop::Lost)
                buffer.peekNext(out);
        }
        return allocations.load() - before;
    };
    run(ring, 0, 100);  // warm-up
    assert_int_equal(run(ring, 100, 5000), 0);
    // The counter does see allocations: the map version makes some per packet.
    assert_true(run(reference, 0, 5000) >= 4000);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(jitter_buffer_behaves_as_the_map_version),
        cmocka_unit_test(jitter_buffer_full_ring_drops_the_oldest_as_the_map_did),
        cmocka_unit_test(jitter_buffer_does_not_allocate_per_packet),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
