// The mixing rule of remote legs (docs/cluster.md, "Audio across nodes"): this node's
// participants hear every remote leg, and each leg is sent the mix of this node's participants
// only. With two legs (three nodes) a leg must never carry the other leg's audio: that node
// already gets it directly, and would hear it twice. Real Opus and G.711 through MixRoom::tick,
// tones found by Goertzel on the decoded output.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "plugins/audiomixer/mix_room.hpp"
#include "sylkcore/audio/rtp_packet.hpp"
// cmocka defines fail(): include it after the C++ library headers
#include "cmocka_cpp.hpp"

using namespace sylk;
using namespace sylk::audiomixer;

namespace {

// Keeps the payloads the room sends to one participant or leg.
class CaptureSink : public AudioSink {
public:
    explicit CaptureSink(std::vector<std::vector<uint8_t>>& payloads) : payloads_(payloads) {}
    void send(uint8_t* packet, size_t length) override {
        auto rtp = audio::parseRtp(packet, length);
        if (rtp)
            payloads_.emplace_back(rtp->payload, rtp->payload + rtp->payloadLength);
    }

private:
    std::vector<std::vector<uint8_t>>& payloads_;
};

// One voice: a tone encoded with the voice's codec, packet by packet.
struct Voice {
    Voice(audio::CodecId codec, int payloadType, double frequency, uint64_t id)
        : codec(codec), payloadType(payloadType), frequency(frequency),
          rate(audio::pcmRate(codec, 48000)), encoder(audio::makeEncoder(codec, 48000)) {
        participant = std::make_shared<MixParticipant>(id, "v" + std::to_string(id), codec, payloadType, 48000,
                                                       std::make_unique<CaptureSink>(received));
    }
    // Pushes the next 20 ms of the tone into the participant, as if it came from the network.
    void speak(int64_t nowUs) {
        std::vector<int16_t> pcm(static_cast<size_t>(rate / 50));
        for (size_t i = 0; i < pcm.size(); ++i, ++sample)
            pcm[i] = static_cast<int16_t>(8000 * std::sin(2 * M_PI * frequency * static_cast<double>(sample) / rate));
        uint8_t packet[1500];
        size_t header = audio::writeRtpHeader(packet, static_cast<uint8_t>(payloadType), sequence == 0, sequence,
                                              timestamp, 1234);
        int bytes = encoder->encode(pcm.data(), static_cast<int>(pcm.size()), packet + header,
                                    static_cast<int>(sizeof(packet) - header));
        assert_true(bytes > 0);
        participant->receiveRtp(packet, header + static_cast<size_t>(bytes), nowUs);
        ++sequence;
        timestamp += static_cast<uint32_t>(audio::codecInfo(codec).clockRate / 50);
    }
    // What the room sent it, decoded (the last `packets` packets).
    std::vector<int16_t> heard(size_t packets) const {
        auto decoder = audio::makeDecoder(codec, 48000);
        std::vector<int16_t> out;
        size_t first = received.size() > packets ? received.size() - packets : 0;
        for (size_t n = 0; n < received.size(); ++n) {  // all of them: Opus decodes with its history
            int16_t pcm[5760];
            int samples = decoder->decode(received[n].data(), received[n].size(), pcm, 5760);
            if (n >= first && samples > 0)
                out.insert(out.end(), pcm, pcm + samples);
        }
        return out;
    }

    audio::CodecId codec;
    int payloadType;
    double frequency;
    int rate;
    std::unique_ptr<audio::Encoder> encoder;
    std::shared_ptr<MixParticipant> participant;
    std::vector<std::vector<uint8_t>> received;
    uint16_t sequence = 0;
    uint32_t timestamp = 0;
    uint64_t sample = 0;
};

// Power of one frequency in the signal, in dB (Goertzel).
double toneDb(const std::vector<int16_t>& pcm, int rate, double frequency) {
    double coefficient = 2 * std::cos(2 * M_PI * frequency / rate);
    double s1 = 0, s2 = 0;
    for (int16_t x : pcm) {
        double s0 = x + coefficient * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    double power = s1 * s1 + s2 * s2 - coefficient * s1 * s2;
    return 10 * std::log10(std::max(power, 1e-9));
}

// Runs the room for 3 s with every voice speaking each tick.
void run(MixRoom& room, std::vector<Voice*> voices) {
    int64_t now = 1'000'000;
    for (int tick = 0; tick < 150; ++tick, now += 20'000) {
        for (Voice* voice : voices)
            voice->speak(now);
        room.tick();
    }
}

}  // namespace

static void participants_hear_the_leg_and_the_leg_gets_only_the_local_mix(void**) {
    MixRoom room("r", MixRoomSettings{}, nullptr);
    Voice ann(audio::CodecId::Opus, 111, 440, 1);   // this node's participant
    Voice pam(audio::CodecId::Pcmu, 0, 1000, 2);    // and a phone here
    Voice leg(audio::CodecId::Opus, 111, 1500, 77); // node B's mix
    room.add(ann.participant);
    room.add(pam.participant);
    room.addLeg(leg.participant);
    assert_int_equal(room.size(), 2);  // a leg is no participant
    assert_int_equal(room.legs()->size(), 1);
    run(room, {&ann, &pam, &leg});

    auto annHears = ann.heard(50);
    assert_true(toneDb(annHears, 48000, 1500) - toneDb(annHears, 48000, 440) >= 30);  // the leg, not herself
    assert_true(toneDb(annHears, 48000, 1000) - toneDb(annHears, 48000, 440) >= 30);  // and Pam
    auto pamHears = pam.heard(50);
    assert_true(toneDb(pamHears, 8000, 1500) - toneDb(pamHears, 8000, 1000) >= 25);
    // Node B gets Ann and Pam, never its own mix back.
    auto legGets = leg.heard(50);
    assert_true(toneDb(legGets, 48000, 440) - toneDb(legGets, 48000, 1500) >= 30);
    assert_true(toneDb(legGets, 48000, 1000) - toneDb(legGets, 48000, 1500) >= 30);
    // One encode per tick for the legs.
    assert_true(room.stats.encodesLegs.load() >= 140);
}

static void a_leg_never_carries_another_nodes_leg(void**) {
    MixRoom room("r", MixRoomSettings{}, nullptr);
    Voice ann(audio::CodecId::Opus, 111, 440, 1);
    Voice fromB(audio::CodecId::Opus, 111, 1000, 77);
    Voice fromC(audio::CodecId::Opus, 111, 1500, 78);
    room.add(ann.participant);
    room.addLeg(fromB.participant);
    room.addLeg(fromC.participant);
    run(room, {&ann, &fromB, &fromC});
    auto annHears = ann.heard(50);
    assert_true(toneDb(annHears, 48000, 1000) - toneDb(annHears, 48000, 440) >= 30);
    assert_true(toneDb(annHears, 48000, 1500) - toneDb(annHears, 48000, 440) >= 30);
    for (Voice* leg : {&fromB, &fromC}) {
        auto gets = leg->heard(50);
        // Ann, and neither node's own mix nor the other node's.
        assert_true(toneDb(gets, 48000, 440) - toneDb(gets, 48000, 1000) >= 30);
        assert_true(toneDb(gets, 48000, 440) - toneDb(gets, 48000, 1500) >= 30);
    }
    // A leg that goes stops being mixed and sent to.
    room.removeLeg(78);
    size_t sentToC = fromC.received.size();
    run(room, {&ann, &fromB, &fromC});
    assert_int_equal(fromC.received.size(), sentToC);
    auto after = ann.heard(50);
    assert_true(toneDb(after, 48000, 1000) - toneDb(after, 48000, 1500) >= 30);
}

static void a_leg_follows_the_rooms_rate_without_raising_it(void**) {
    // Phones only here: the room mixes at 8 kHz although the leg is Opus (48 kHz capable).
    MixRoom room("r", MixRoomSettings{}, nullptr);
    Voice pam(audio::CodecId::Pcmu, 0, 440, 1);
    Voice leg(audio::CodecId::Opus, 111, 1000, 77);
    room.add(pam.participant);
    room.addLeg(leg.participant);
    run(room, {&pam, &leg});
    assert_int_equal(room.mixRate(), 8000);
    auto pamHears = pam.heard(50);
    assert_true(toneDb(pamHears, 8000, 1000) - toneDb(pamHears, 8000, 440) >= 25);
    auto legGets = leg.heard(50);  // Opus decoded at 48 kHz whatever it was coded at
    assert_true(toneDb(legGets, 48000, 440) - toneDb(legGets, 48000, 1000) >= 25);
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(participants_hear_the_leg_and_the_leg_gets_only_the_local_mix),
        cmocka_unit_test(a_leg_never_carries_another_nodes_leg),
        cmocka_unit_test(a_leg_follows_the_rooms_rate_without_raising_it),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
