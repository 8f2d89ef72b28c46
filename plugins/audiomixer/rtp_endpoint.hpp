// A plain-RTP participant's UDP socket. The mixer thread drains it each tick and sends the
// participant's mix through it; no thread of its own.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "audio_sink.hpp"
#include "sylkcore/net/udp_socket.hpp"

namespace sylk::audiomixer {

class RtpEndpoint : public AudioSink {
public:
    // Binds localAddress on an ephemeral port; throws std::runtime_error on failure.
    RtpEndpoint(const std::string& localAddress, const std::string& peerAddress, uint16_t peerPort)
        : socket_(localAddress, peerAddress, peerPort) {}

    uint16_t localPort() const { return socket_.localPort(); }
    const std::string& localAddress() const { return socket_.localAddress(); }
    // Reads every datagram waiting (non-blocking) and hands each to receive.
    void drain(const std::function<void(const uint8_t*, size_t)>& receive) { socket_.drain(receive); }
    void send(uint8_t* packet, size_t length) override { socket_.send(packet, length); }

private:
    net::UdpSocket socket_;
};

}  // namespace sylk::audiomixer
