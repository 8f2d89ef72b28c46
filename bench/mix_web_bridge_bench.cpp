// What the room audio bridge costs the mixer (docs/architecture.md, "Web users and phones hear
// each other"): CPU time of one MixRoom::tick for the same room of phones without a bridge (as
// before: the web users and the phones do not hear each other) and with the video room's bridge
// (`web` web feeds in, one web mix out), side by side in one run, the variants alternated
// within each round. A third variant is the way round the bridge a page would otherwise take:
// its web users joining the mixer as WebRTC participants (Opus talkers; the room then mixes at
// 48 kHz and encodes for each talker). Not run by make check; build with `make -C build bench/mix_web_bridge_bench`
// and see bench/README.md.
//
// The room: `phones` PCMU phones of which one talks (an 8 kHz room, as phones-only rooms are);
// with the bridge, `web` Opus web feeds that all talk (the video room relays every publisher's
// audio) and the web mix's Opus output. Inputs are real packets of tones pushed before each
// tick, as the network would; outputs go to a sink that drops them (what is measured is the
// mixing: jitter buffers, decoding, summing, encoding, RTP framing; not the sendto). Time: the
// thread's CPU clock (CLOCK_THREAD_CPUTIME_ID) around each tick.
//
// Two more variants are a cluster node whose pages hear phones mixed on another node only
// (docs/cluster.md, "Pages and phones on different nodes"): no phone here, the bridge with the
// same `web` feeds and one remote leg bringing the other node's phones (Opus coded at 8 kHz, as a
// node of G.711 phones mixes: this room then mixes at 8 kHz too, after its 5 s); the leg is sent
// nothing of ours (the other node has pages too) or, `with_web_feeds`, our pages (it has none:
// the room's second leg encode).
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

// 3 s of a tone as packets of codec, encoded once and replayed.
// opusRate: the rate an Opus encoder codes at (8000: narrowband, as a phones-only node's leg).
std::vector<std::vector<uint8_t>> tonePackets(audio::CodecId codec, double frequency, int opusRate = 48000) {
    const int rate = audio::pcmRate(codec, opusRate);
    auto encoder = audio::makeEncoder(codec, rate);
    std::vector<std::vector<uint8_t>> packets;
    uint64_t sample = 0;
    std::vector<int16_t> pcm(static_cast<size_t>(rate / 50));
    for (int n = 0; n < 150; ++n) {
        for (auto& value : pcm)
            value = static_cast<int16_t>(8000 * std::sin(2 * M_PI * frequency * static_cast<double>(sample++) / rate));
        uint8_t out[1500];
        int bytes = encoder->encode(pcm.data(), static_cast<int>(pcm.size()), out, sizeof(out));
        packets.emplace_back(out, out + std::max(bytes, 0));
    }
    return packets;
}

struct Source {
    std::shared_ptr<MixParticipant> participant;
    const std::vector<std::vector<uint8_t>>* packets;
    int payloadType;
    uint32_t step;  // timestamp per packet
    uint16_t sequence = 0;
    uint32_t timestamp = 0;
    void push(int64_t nowUs) {
        const auto& payload = (*packets)[sequence % packets->size()];
        uint8_t packet[1500];
        size_t header = audio::writeRtpHeader(packet, static_cast<uint8_t>(payloadType), sequence == 0, sequence,
                                              timestamp, 99);
        std::copy(payload.begin(), payload.end(), packet + header);
        participant->receiveRtp(packet, header + payload.size(), nowUs);
        ++sequence;
        timestamp += step;
    }
};

// Mean CPU microseconds per tick over `ticks` ticks (after 50 warm-up ticks) of a fresh room.
enum class Variant { NoBridge, Bridged, WebInMixer, BridgeAndLeg, BridgeAndLegWithWeb };

double measure(int phones, int web, Variant variant, int ticks) {
    static const auto phoneTone = tonePackets(audio::CodecId::Pcmu, 600);
    static const auto webTones = std::vector<std::vector<std::vector<uint8_t>>>{
        tonePackets(audio::CodecId::Opus, 440), tonePackets(audio::CodecId::Opus, 880)};
    MixRoom room("bench", MixRoomSettings{}, nullptr);
    std::vector<Source> sources;
    uint64_t id = 1;
    const bool remote = variant == Variant::BridgeAndLeg || variant == Variant::BridgeAndLegWithWeb;
    static const auto legTone = tonePackets(audio::CodecId::Opus, 600, 8000);  // a node of G.711 phones mixes at 8 kHz
    if (remote) {  // the other node's phones, through its leg; none here
        auto leg = std::make_shared<MixParticipant>(id++, "leg", audio::CodecId::Opus, 111, 48000, std::make_unique<DropSink>());
        leg->withWebFeeds = variant == Variant::BridgeAndLegWithWeb;
        room.addLeg(leg);
        sources.push_back(Source{leg, &legTone, 111, 960});
    }
    for (int i = 0; i < (remote ? 0 : phones); ++i) {
        auto phone = std::make_shared<MixParticipant>(id++, "p", audio::CodecId::Pcmu, 0, 48000, std::make_unique<DropSink>());
        room.add(phone);
        if (i == 0)
            sources.push_back(Source{phone, &phoneTone, 0, 160});
    }
    if (variant == Variant::WebInMixer) {
        for (int i = 0; i < web; ++i) {
            auto user = std::make_shared<MixParticipant>(id++, "w", audio::CodecId::Opus, 111, 48000, std::make_unique<DropSink>());
            room.add(user);
            sources.push_back(Source{user, &webTones[static_cast<size_t>(i) % 2], 111, 960});
        }
    }
    if (variant == Variant::Bridged || remote) {
        auto output = std::make_shared<MixParticipant>(id++, "web mix", audio::CodecId::Opus, 0, 48000,
                                                       std::make_unique<DropSink>());
        auto bridge = std::make_shared<WebBridge>(output);
        for (int i = 0; i < web; ++i) {
            auto feed = std::make_shared<MixParticipant>(id++, "w", audio::CodecId::Opus, 1, 48000, std::make_unique<DropSink>());
            bridge->addFeed(feed);
            sources.push_back(Source{feed, &webTones[static_cast<size_t>(i) % 2], 1, 960});
        }
        room.setWebBridge(bridge);
    }
    return mix_bench::microsecondsPerTick(room, sources, ticks, 300);  // the same warm-up for every variant
}

}  // namespace

int main(int argc, char** argv) {
    int phones = 4, web = 3, rounds = 7, ticks = 1500;  // 30 s of mixing per variant and round
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string option = argv[i];
        int value = std::atoi(argv[i + 1]);
        if (option == "--phones")
            phones = value;
        else if (option == "--web")
            web = value;
        else if (option == "--rounds")
            rounds = value;
        else if (option == "--ticks")
            ticks = value;
    }
    const Variant variants[] = {Variant::NoBridge, Variant::Bridged, Variant::WebInMixer, Variant::BridgeAndLeg,
                                Variant::BridgeAndLegWithWeb};
    constexpr int kVariants = 5;
    std::vector<std::vector<double>> results(kVariants);
    for (int round = 0; round < rounds; ++round) {
        // Alternate the order each round, so that a drift of the machine's load hits all variants.
        for (int k = 0; k < kVariants; ++k) {
            int v = round % 2 ? kVariants - 1 - k : k;
            results[static_cast<size_t>(v)].push_back(measure(phones, web, variants[v], ticks));
        }
    }
    const double base = mix_bench::median(results[0]), bridged = mix_bench::median(results[1]);
    // Per bridged packet: the bridge's extra time over the packets it handles each tick (one in
    // per web feed, one web mix out).
    const double perPacket = (bridged - base) / (web + 1);
    std::printf("{\"bench\":\"mix_web_bridge\",\"phones\":%d,\"web\":%d,\"rounds\":%d,\"ticks\":%d,\"variants\":[",
                phones, web, rounds, ticks);
    const char* names[] = {"no bridge (phones only)", "bridged", "web users as mixer participants",
                           "pages here, phones on another node (bridge alone + 1 leg)",
                           "the same, the leg carrying our pages (with_web_feeds)"};
    for (size_t v = 0; v < kVariants; ++v) {
        const auto& r = results[v];
        std::printf("%s{\"name\":\"%s\",\"us_per_tick_median\":%.1f,\"min\":%.1f,\"max\":%.1f,\"ratio_to_no_bridge\":%.3f,\"runs\":[",
                    v ? "," : "", names[v], mix_bench::median(r), *std::min_element(r.begin(), r.end()),
                    *std::max_element(r.begin(), r.end()), mix_bench::median(r) / base);
        for (size_t i = 0; i < r.size(); ++i)
            std::printf("%s%.1f", i ? "," : "", r[i]);
        std::printf("]}");
    }
    std::printf("],\"us_per_bridged_packet\":%.1f}\n", perPacket);
    return 0;
}
