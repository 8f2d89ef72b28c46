// Where a participant's mixed audio goes: back through Janus to a WebRTC peer, or as plain
// RTP over UDP to a SIP phone or any RTP endpoint. Called on the mixer thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

namespace sylk::audiomixer {

class AudioSink {
public:
    virtual ~AudioSink() = default;
    // packet is a complete RTP packet (header and payload).
    virtual void send(uint8_t* packet, size_t length) = 0;
    // A sink that is also the participant's source (a plain RTP socket) hands over the packets
    // waiting in it; WebRTC audio arrives through Janus instead, so by default there are none.
    using Receive = std::function<void(const uint8_t*, size_t)>;
    virtual void receiveWaiting(const Receive&) {}
};

}  // namespace sylk::audiomixer
