// What the MixRoom unit tests share (test_mix_legs, test_mix_web_bridge): voices that speak a
// tone encoded with their codec into a MixParticipant and keep what the room sends them, a
// Goertzel measure of one frequency, and a run of the room's ticks. Include after
// cmocka_cpp.hpp's C++ headers (it uses assert_true).
#pragma once

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "plugins/audiomixer/mix_room.hpp"
#include "sylkcore/audio/rtp_packet.hpp"

namespace mix_test {

using namespace sylk;
using namespace sylk::audiomixer;

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
inline double toneDb(const std::vector<int16_t>& pcm, int rate, double frequency) {
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
inline void run(MixRoom& room, std::vector<Voice*> voices) {
    int64_t now = 1'000'000;
    for (int tick = 0; tick < 150; ++tick, now += 20'000) {
        for (Voice* voice : voices)
            voice->speak(now);
        room.tick();
    }
}

}  // namespace mix_test
