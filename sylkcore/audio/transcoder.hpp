// One direction of a two-party audio call whose sides share no codec (a browser on Opus, a
// phone on PCMU): decodes each RTP payload and re-encodes it in 20 ms frames of the other codec.
// Opus is decoded and encoded at the other codec's own rate (8 or 16 kHz), so no resampler is
// needed. Timestamps follow the input's, scaled to the output clock, so a lost packet stays a
// gap the receiver conceals rather than a shift in time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "../api.hpp"
#include "codec.hpp"

namespace sylk::audio {

class SYLK_API Transcoder {
public:
    // An encoded frame: payload and its RTP timestamp in the output codec's clock.
    using FrameSink = std::function<void(const uint8_t* payload, size_t length, uint32_t timestamp)>;

    Transcoder(CodecId from, CodecId to);
    ~Transcoder();
    Transcoder(const Transcoder&) = delete;
    Transcoder& operator=(const Transcoder&) = delete;

    // Decodes one payload with its RTP timestamp (input clock) and hands every complete 20 ms
    // output frame to sink. A payload that does not decode is dropped and counted.
    void push(const uint8_t* payload, size_t length, uint32_t timestamp, const FrameSink& sink);
    uint64_t undecodable() const { return undecodable_; }

private:
    CodecId from_;
    CodecId to_;
    int pcmRate_;
    int frameSamples_;       // 20 ms at pcmRate_
    double inTicksPerSample_;   // input RTP clock ticks per PCM sample
    double outTicksPerSample_;  // output RTP clock ticks per PCM sample
    std::unique_ptr<Decoder> decoder_;
    std::unique_ptr<Encoder> encoder_;
    std::vector<int16_t> pending_;  // decoded samples not yet encoded
    uint32_t pendingTimestamp_ = 0;  // output timestamp of pending_[0]
    bool started_ = false;
    uint32_t expectedInput_ = 0;    // input timestamp that would follow without a gap
    std::vector<int16_t> decodeBuffer_;
    std::vector<uint8_t> encodeBuffer_;
    uint64_t undecodable_ = 0;
};

}  // namespace sylk::audio
