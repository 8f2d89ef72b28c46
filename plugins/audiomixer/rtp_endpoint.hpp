// A UDP socket for one plain-RTP participant. The mixer thread drains it each tick and sends
// the participant's mix through it; no thread of its own.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <functional>
#include <string>

#include "audio_sink.hpp"

namespace sylk::audiomixer {

class RtpEndpoint : public AudioSink {
public:
    // Binds localAddress on an ephemeral port; throws std::runtime_error on failure.
    RtpEndpoint(const std::string& localAddress, const std::string& peerAddress, uint16_t peerPort);
    ~RtpEndpoint() override;
    RtpEndpoint(const RtpEndpoint&) = delete;
    RtpEndpoint& operator=(const RtpEndpoint&) = delete;

    uint16_t localPort() const { return localPort_; }
    const std::string& localAddress() const { return localAddress_; }
    // Reads every datagram waiting (non-blocking) and hands each to receive.
    void drain(const std::function<void(const uint8_t*, size_t)>& receive);
    void send(uint8_t* packet, size_t length) override;

private:
    int fd_ = -1;
    std::string localAddress_;
    uint16_t localPort_ = 0;
    sockaddr_storage peer_{};
    socklen_t peerLength_ = 0;
};

}  // namespace sylk::audiomixer
