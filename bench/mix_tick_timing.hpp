// What the MixRoom benches share (mix_leg_bench, mix_web_bridge_bench): this thread's CPU clock,
// the timed run of a room's ticks with every source pushing its next 20 ms first (the first 50
// ticks warm up and are not counted), and the median of the rounds.
#pragma once

#include <time.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "plugins/audiomixer/mix_room.hpp"

namespace mix_bench {

inline int64_t threadCpuNs() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Microseconds of this thread's CPU per MixRoom::tick over `ticks` counted ticks. Source has
// push(nowUs): what it sends the room before each tick.
// warmUp: ticks run first and not counted (a room of the bridge alone settles its mixing rate
// after 5 s: 250 ticks).
template <class Source>
double microsecondsPerTick(sylk::audiomixer::MixRoom& room, std::vector<Source>& sources, int ticks, int warmUp = 50) {
    const int kWarmUp = warmUp;
    int64_t now = 1'000'000;
    int64_t spent = 0;
    for (int tick = 0; tick < ticks + kWarmUp; ++tick, now += 20'000) {
        for (auto& source : sources)
            source.push(now);
        int64_t before = threadCpuNs();
        room.tick();
        if (tick >= kWarmUp)
            spent += threadCpuNs() - before;
    }
    return static_cast<double>(spent) / ticks / 1000.0;
}

inline double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace mix_bench
