#include <cmath>
#include <vector>

#include "sylkcore/audio/codec.hpp"
#include "sylkcore/audio/jitter_buffer.hpp"
#include "sylkcore/audio/resampler.hpp"
// cmocka defines fail(): include it after the C++ library headers
#include "cmocka_cpp.hpp"

using namespace sylk::audio;

static std::vector<int16_t> tone(double frequency, int rate, int samples, int offset = 0) {
    std::vector<int16_t> pcm(samples);
    for (int i = 0; i < samples; ++i)
        pcm[i] = static_cast<int16_t>(10000 * std::sin(2 * M_PI * frequency * (i + offset) / rate));
    return pcm;
}

// Goertzel power of one frequency: how much of it a signal holds.
static double power(const std::vector<int16_t>& pcm, double frequency, int rate) {
    double coefficient = 2 * std::cos(2 * M_PI * frequency / rate), s1 = 0, s2 = 0;
    for (int16_t sample : pcm) {
        double s = sample + coefficient * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    return s1 * s1 + s2 * s2 - coefficient * s1 * s2;
}

static void codecs_round_trip_a_tone(void**) {
    for (CodecId id : {CodecId::Opus, CodecId::G722, CodecId::Pcmu, CodecId::Pcma}) {
        int rate = pcmRate(id, 16000);
        int frame = rate / 50;
        auto encoder = makeEncoder(id, 16000);
        auto decoder = makeDecoder(id, 16000);
        std::vector<int16_t> decoded;
        for (int packet = 0; packet < 25; ++packet) {
            auto pcm = tone(440, rate, frame, packet * frame);
            uint8_t bytes[1500];
            int length = encoder->encode(pcm.data(), frame, bytes, sizeof(bytes));
            assert_true(length > 0);
            std::vector<int16_t> out(frame * 6);
            int samples = decoder->decode(bytes, static_cast<size_t>(length), out.data(), static_cast<int>(out.size()));
            assert_int_equal(samples, frame);
            if (packet >= 5)  // past the codecs' start-up
                decoded.insert(decoded.end(), out.begin(), out.begin() + samples);
        }
        double wanted = power(decoded, 440, rate);
        assert_true(wanted > 1000 * power(decoded, 1000, rate));
        assert_true(wanted > 1000 * power(decoded, 2500, rate));
    }
    assert_true(codecFromName("PCMU") == CodecId::Pcmu);
    assert_true(codecFromName("iLBC") == CodecId::Ilbc);
    assert_false(codecFromName("speex").has_value());
    assert_int_equal(codecInfo(CodecId::G722).clockRate, 8000);
}

// iLBC through the mixer's interface: 20 ms calls in, 38-byte packets every call (20 ms mode) or
// 50-byte packets two calls in three (30 ms mode); a lost packet conceals one frame of audio.
static void ilbc_round_trips_a_tone_in_20_ms_calls(void**) {
    for (CodecId id : {CodecId::Ilbc20, CodecId::Ilbc}) {
        auto encoder = makeEncoder(id, 16000);
        auto decoder = makeDecoder(id, 16000);
        assert_int_equal(pcmRate(id, 48000), 8000);
        int expectedBytes = id == CodecId::Ilbc ? 50 : 38;
        int expectedSamples = id == CodecId::Ilbc ? 240 : 160;
        std::vector<int16_t> decoded;
        int packets = 0;
        for (int call = 0; call < 60; ++call) {
            auto pcm = tone(700, 8000, 160, call * 160);
            uint8_t bytes[1500];
            int length = encoder->encode(pcm.data(), 160, bytes, sizeof(bytes));
            assert_true(length == 0 || length == expectedBytes);
            if (length == 0)
                continue;
            ++packets;
            std::vector<int16_t> out(960);
            int samples = decoder->decode(bytes, static_cast<size_t>(length), out.data(), static_cast<int>(out.size()));
            assert_int_equal(samples, expectedSamples);
            if (call >= 10)
                decoded.insert(decoded.end(), out.begin(), out.begin() + samples);
        }
        assert_int_equal(packets, id == CodecId::Ilbc ? 40 : 60);
        double wanted = power(decoded, 700, 8000);
        assert_true(wanted > 100 * power(decoded, 2000, 8000));
        std::vector<int16_t> concealed(960);
        assert_int_equal(decoder->conceal(concealed.data(), 960), expectedSamples);
        concealed.resize(static_cast<size_t>(expectedSamples));
        assert_true(power(concealed, 700, 8000) > 10 * power(concealed, 2000, 8000));
        // lengths that are no whole number of frames do not decode
        uint8_t odd[37] = {};
        std::vector<int16_t> out(960);
        assert_int_equal(decoder->decode(odd, sizeof(odd), out.data(), 960), -1);
    }
}

static void garbage_payloads_do_not_decode_as_audio(void**) {
    auto decoder = makeDecoder(CodecId::Opus, 48000);
    uint8_t garbage[3] = {0xff, 0xff, 0xff};
    std::vector<int16_t> out(960 * 6);
    int samples = decoder->decode(garbage, sizeof(garbage), out.data(), static_cast<int>(out.size()));
    // TOC 0xff is a code 3 packet (RFC 6716 3.2.5) and the count byte 0xff says 63 frames of
    // 20 ms: 1.26 s, over the 120 ms a packet may hold, so libopus refuses it.
    assert_int_equal(samples, -1);
    // A lone TOC byte is a valid packet whose one frame is empty (RFC 6716 3.2.1: a lost frame):
    // it decodes to a frame's worth (20 ms at 48 kHz) of concealment, not an error.
    uint8_t tocOnly[1] = {0xf8};
    assert_int_equal(decoder->decode(tocOnly, sizeof(tocOnly), out.data(), static_cast<int>(out.size())), 960);
    assert_int_equal(decoder->conceal(out.data(), 960), 960);
    auto g711 = makeDecoder(CodecId::Pcmu, 48000);
    std::vector<uint8_t> big(5000, 0x55);
    assert_int_equal(g711->decode(big.data(), big.size(), out.data(), 160), -1);  // does not fit
}

static void resampler_keeps_the_rate_ratio(void**) {
    Resampler up(8000, 48000);
    int produced = 0;
    for (int i = 0; i < 50; ++i) {
        auto pcm = tone(440, 8000, 160, i * 160);
        int16_t out[2000];
        produced += up.process(pcm.data(), 160, out, 2000);
    }
    assert_true(produced > 47000 && produced <= 48000);
}

static void jitter_buffer_orders_conceals_and_resets(void**) {
    JitterBuffer buffer(48000);
    std::vector<uint8_t> payload;
    uint8_t byte = 1;
    assert_int_equal(static_cast<int>(buffer.pop(payload)), static_cast<int>(JitterBuffer::Pop::Empty));
    // 10, 12, 11 arrive (reordered), 13 is lost, 14 arrives
    buffer.push(10, 0, &byte, 1, 0);
    buffer.push(12, 1920, &byte, 1, 40000);
    buffer.push(11, 960, &byte, 1, 41000);
    buffer.push(14, 3840, &byte, 1, 80000);
    std::vector<JitterBuffer::Pop> got;
    for (int i = 0; i < 5; ++i)
        got.push_back(buffer.pop(payload));
    assert_int_equal(static_cast<int>(got[0]), static_cast<int>(JitterBuffer::Pop::Frame));
    assert_int_equal(static_cast<int>(got[1]), static_cast<int>(JitterBuffer::Pop::Frame));
    assert_int_equal(static_cast<int>(got[2]), static_cast<int>(JitterBuffer::Pop::Frame));
    assert_int_equal(static_cast<int>(got[3]), static_cast<int>(JitterBuffer::Pop::Lost));
    assert_int_equal(static_cast<int>(got[4]), static_cast<int>(JitterBuffer::Pop::Frame));
    buffer.push(12, 1920, &byte, 1, 90000);  // far too late
    auto stats = buffer.stats();
    assert_int_equal(stats.lost, 1);
    assert_int_equal(stats.late, 1);
    // a jump of thousands of packets is a new stream, not a loss burst
    buffer.push(40000, 500000, &byte, 1, 100000);
    assert_int_equal(buffer.stats().resets, 1);
    assert_int_equal(buffer.stats().lost, 1);
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(codecs_round_trip_a_tone),
        cmocka_unit_test(ilbc_round_trips_a_tone_in_20_ms_calls),
        cmocka_unit_test(garbage_payloads_do_not_decode_as_audio),
        cmocka_unit_test(resampler_keeps_the_rate_ratio),
        cmocka_unit_test(jitter_buffer_orders_conceals_and_resets),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
