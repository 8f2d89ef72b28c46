// Audio codecs for mixing and transcoding: Opus (libopus), G.722 and G.711 (spandsp), iLBC (ours,
// ilbc_encoder/ilbc_decoder). Mono, 16-bit PCM, one RTP packet per call. Shared by the audio mixer and (later) the SIP gateway.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "../api.hpp"

namespace sylk::audio {

// Ilbc is iLBC's 30 ms mode (RFC 3952's default), Ilbc20 its 20 ms mode: SDP names both "iLBC"
// and tells them apart by a=fmtp mode=20|30.
enum class CodecId { Opus, G722, Pcmu, Pcma, Ilbc, Ilbc20 };

struct CodecInfo {
    CodecId id;
    const char* name;    // as in SDP, lower case: "opus", "g722", "pcmu", "pcma"; "ilbc" (30 ms), "ilbc20"
    int clockRate;       // RTP timestamp rate (G.722's is 8000 for 16 kHz audio, RFC 3551)
    int staticPt;        // -1 for dynamic payload types
    int frameMs = 20;    // one packet's audio: 20, or 30 for iLBC's 30 ms mode
};

SYLK_API std::optional<CodecId> codecFromName(std::string_view name);
SYLK_API const CodecInfo& codecInfo(CodecId id);

class SYLK_API Decoder {
public:
    virtual ~Decoder() = default;
    // PCM rate this decoder produces.
    virtual int sampleRate() const = 0;
    // Decodes one packet into at most maxSamples samples; returns the count, or -1 for a
    // payload that does not decode (counted, concealed by the caller).
    virtual int decode(const uint8_t* payload, size_t length, int16_t* pcm, int maxSamples) = 0;
    // Fills samples of a lost packet (Opus and iLBC PLC; silence for the others). iLBC fills one
    // frame of its mode (160 or 240 samples) and returns that count.
    virtual int conceal(int16_t* pcm, int samples) = 0;
    // Recovers a lost packet from the forward error correction in the next one (Opus in-band
    // FEC); falls back to conceal where the codec has none.
    virtual int recover(const uint8_t* next, size_t length, int16_t* pcm, int samples) {
        (void)next;
        (void)length;
        return conceal(pcm, samples);
    }
};

class SYLK_API Encoder {
public:
    virtual ~Encoder() = default;
    virtual int sampleRate() const = 0;
    // Encodes samples (one packet's worth) into out; returns bytes, or -1. iLBC in 30 ms mode
    // takes 20 ms calls too: it buffers and returns 0 (nothing to send) until a frame is full.
    virtual int encode(const int16_t* pcm, int samples, uint8_t* out, int maxBytes) = 0;
};

// Opus works at rate (8000, 12000, 16000, 24000 or 48000), so a room decodes and encodes Opus
// at its own rate without resampling; the others run at their fixed rates.
SYLK_API std::unique_ptr<Decoder> makeDecoder(CodecId id, int opusRate);
SYLK_API std::unique_ptr<Encoder> makeEncoder(CodecId id, int opusRate, int opusComplexity = 4,
                                              int opusBitrate = 32000);

// PCM rate of a codec's samples (Opus: the rate asked for).
SYLK_API int pcmRate(CodecId id, int opusRate);

// The audio bandwidth an Opus packet was coded with, as the lowest mixing rate that keeps it:
// narrowband 8000, medium- and wideband 16000, super-wide and fullband 48000; 0 for a packet
// that says none (empty, or malformed).
SYLK_API int opusCodedRate(const uint8_t* payload, size_t length);

}  // namespace sylk::audio
