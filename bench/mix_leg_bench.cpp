// What a remote leg costs the mixer (docs/cluster.md, "Audio across nodes"): CPU time of one
// MixRoom::tick for the same room without a leg, with one (two nodes) and with two (three
// nodes), side by side in one run, the variants alternated within each round. Not run by make
// check; build with `make -C build bench/mix_leg_bench` and see bench/README.md.
//
// The room: `listeners` Opus listeners and `talkers` Opus talkers of this node (a 48 kHz room,
// as with browsers); a leg is an Opus participant that talks (the other node's mix). Inputs are
// real Opus packets of tones pushed into the participants before each tick, as the network
// would; outputs go to a sink that drops them (what is measured is the mixing: jitter buffers,
// decoding, summing, encoding, RTP framing; not the sendto). Time: the thread's CPU clock
// (CLOCK_THREAD_CPUTIME_ID) around each tick.
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "plugins/audiomixer/mix_room.hpp"
#include "mix_tick_timing.hpp"
#include "sylkcore/audio/rtp_packet.hpp"

using namespace sylk;
using namespace sylk::audiomixer;

namespace {

class DropSink : public AudioSink {
public:
    void send(uint8_t*, size_t) override {}
};

// 3 s of a tone as Opus packets, encoded once and replayed.
std::vector<std::vector<uint8_t>> tonePackets(double frequency) {
    auto encoder = audio::makeEncoder(audio::CodecId::Opus, 48000);
    std::vector<std::vector<uint8_t>> packets;
    uint64_t sample = 0;
    for (int n = 0; n < 150; ++n) {
        int16_t pcm[960];
        for (int i = 0; i < 960; ++i, ++sample)
            pcm[i] = static_cast<int16_t>(8000 * std::sin(2 * M_PI * frequency * static_cast<double>(sample) / 48000));
        uint8_t out[1500];
        int bytes = encoder->encode(pcm, 960, out, sizeof(out));
        packets.emplace_back(out, out + std::max(bytes, 0));
    }
    return packets;
}

struct Source {
    std::shared_ptr<MixParticipant> participant;
    const std::vector<std::vector<uint8_t>>* packets;
    uint16_t sequence = 0;
    uint32_t timestamp = 0;
    void push(int64_t nowUs) {
        const auto& payload = (*packets)[sequence % packets->size()];
        uint8_t packet[1500];
        size_t header = audio::writeRtpHeader(packet, 111, sequence == 0, sequence, timestamp, 99);
        std::copy(payload.begin(), payload.end(), packet + header);
        participant->receiveRtp(packet, header + payload.size(), nowUs);
        ++sequence;
        timestamp += 960;
    }
};

// Mean CPU microseconds per tick over `ticks` ticks (after 50 warm-up ticks) of a fresh room.
double measure(int listeners, int talkers, int legs, int ticks) {
    static const auto tones = std::vector<std::vector<std::vector<uint8_t>>>{tonePackets(440), tonePackets(660),
                                                                            tonePackets(880), tonePackets(1100)};
    MixRoom room("bench", MixRoomSettings{}, nullptr);
    std::vector<Source> sources;
    uint64_t id = 1;
    for (int i = 0; i < listeners; ++i)
        room.add(std::make_shared<MixParticipant>(id++, "l", audio::CodecId::Opus, 111, 48000, std::make_unique<DropSink>()));
    for (int i = 0; i < talkers; ++i) {
        auto participant = std::make_shared<MixParticipant>(id++, "t", audio::CodecId::Opus, 111, 48000, std::make_unique<DropSink>());
        room.add(participant);
        sources.push_back(Source{participant, &tones[static_cast<size_t>(i) % 2]});
    }
    for (int i = 0; i < legs; ++i) {
        auto leg = std::make_shared<MixParticipant>(id++, "leg", audio::CodecId::Opus, 111, 48000, std::make_unique<DropSink>());
        room.addLeg(leg);
        sources.push_back(Source{leg, &tones[2 + static_cast<size_t>(i) % 2]});
    }
    return mix_bench::microsecondsPerTick(room, sources, ticks);
}

}  // namespace

int main(int argc, char** argv) {
    int listeners = 8, talkers = 2, rounds = 7, ticks = 1500;  // 30 s of mixing per variant and round
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string option = argv[i];
        int value = std::atoi(argv[i + 1]);
        if (option == "--listeners")
            listeners = value;
        else if (option == "--talkers")
            talkers = value;
        else if (option == "--rounds")
            rounds = value;
        else if (option == "--ticks")
            ticks = value;
    }
    const char* names[] = {"no leg (one node)", "1 leg (two nodes)", "2 legs (three nodes)"};
    std::vector<std::vector<double>> results(3);
    for (int round = 0; round < rounds; ++round) {
        // Alternate the order each round, so that a drift of the machine's load hits all variants.
        for (int k = 0; k < 3; ++k) {
            int legs = round % 2 ? 2 - k : k;
            results[static_cast<size_t>(legs)].push_back(measure(listeners, talkers, legs, ticks));
        }
    }
    std::printf("{\"bench\":\"mix_leg\",\"listeners\":%d,\"talkers\":%d,\"rounds\":%d,\"ticks\":%d,\"variants\":[",
                listeners, talkers, rounds, ticks);
    const double base = mix_bench::median(results[0]);
    for (size_t legs = 0; legs < 3; ++legs) {
        auto& r = results[legs];
        std::printf("%s{\"name\":\"%s\",\"legs\":%zu,\"us_per_tick_median\":%.1f,\"min\":%.1f,\"max\":%.1f,"
                    "\"ratio_to_no_leg\":%.3f,\"runs\":[",
                    legs ? "," : "", names[legs], legs, mix_bench::median(r), *std::min_element(r.begin(), r.end()),
                    *std::max_element(r.begin(), r.end()), mix_bench::median(r) / base);
        for (size_t i = 0; i < r.size(); ++i)
            std::printf("%s%.1f", i ? "," : "", r[i]);
        std::printf("]}");
    }
    std::printf("]}\n");
    return 0;
}
