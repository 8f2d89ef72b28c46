// RTP (RFC 3550) header parsing and writing for audio legs that do not go through Janus's
// ICE/SRTP stack (plain RTP participants), and for everything the mixer sends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "../api.hpp"

namespace sylk::audio {

struct RtpView {
    uint8_t payloadType;
    bool marker;
    uint16_t sequence;
    uint32_t timestamp;
    uint32_t ssrc;
    const uint8_t* payload;
    size_t payloadLength;
};

// nullopt for anything that is not a well-formed RTP packet (wrong version, lengths that do not
// add up, RTCP payload types 72-76 on a muxed port).
SYLK_API std::optional<RtpView> parseRtp(const uint8_t* packet, size_t length);

// Writes a 12-byte header; returns 12.
SYLK_API size_t writeRtpHeader(uint8_t* out, uint8_t payloadType, bool marker, uint16_t sequence, uint32_t timestamp,
                               uint32_t ssrc);

}  // namespace sylk::audio
