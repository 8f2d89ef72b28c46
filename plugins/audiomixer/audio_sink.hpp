// Where a participant's mixed audio goes: back through Janus to a WebRTC peer, or as plain
// RTP over UDP to a SIP phone or any RTP endpoint. Called on the mixer thread only.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sylk::audiomixer {

class AudioSink {
public:
    virtual ~AudioSink() = default;
    // packet is a complete RTP packet (header and payload).
    virtual void send(uint8_t* packet, size_t length) = 0;
};

}  // namespace sylk::audiomixer
