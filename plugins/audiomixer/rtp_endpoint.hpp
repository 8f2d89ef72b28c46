// A plain-RTP participant's UDP socket (with SDES-SRTP when its signalling negotiated keys).
// The mixer thread drains it each tick (as its room is mixed) and sends the participant's mix through it; no thread
// of its own.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "audio_sink.hpp"
#include "sylkcore/net/srtp_session.hpp"
#include "sylkcore/net/udp_socket.hpp"

namespace sylk::audiomixer {

class RtpEndpoint : public AudioSink {
public:
    // Binds localAddress on an ephemeral port; throws std::runtime_error on failure.
    RtpEndpoint(const std::string& localAddress, const std::string& peerAddress, uint16_t peerPort,
                std::unique_ptr<net::SrtpSession> srtp = nullptr)
        : socket_(localAddress, peerAddress, peerPort), srtp_(std::move(srtp)) {}

    uint16_t localPort() const { return socket_.localPort(); }
    bool setPeer(const std::string& address, uint16_t port) { return socket_.setPeer(address, port); }
    const std::string& localAddress() const { return socket_.localAddress(); }
    // Reads every datagram waiting (non-blocking) and hands each to receive. Plain RTP is taken
    // from the peer's host only; SRTP from anywhere, as packets that do not authenticate are
    // dropped here.
    void receiveWaiting(const Receive& receive) override {
        if (!srtp_) {
            socket_.drain(receive);
            return;
        }
        socket_.drain([&](const uint8_t* packet, size_t length) {
            uint8_t clear[1500];
            if (length > sizeof(clear))
                return;
            std::copy(packet, packet + length, clear);
            if (srtp_->unprotect(clear, length))
                receive(clear, length);
        }, 64, true);  // SRTP authenticates the peer, wherever it sends from
    }
    void send(uint8_t* packet, size_t length) override {
        if (!srtp_) {
            socket_.send(packet, length);
            return;
        }
        uint8_t secured[1500 + net::SrtpSession::kMaxTrailer];
        if (length > 1500)
            return;
        std::copy(packet, packet + length, secured);
        if (srtp_->protect(secured, length))
            socket_.send(secured, length);
    }

private:
    net::UdpSocket socket_;
    std::unique_ptr<net::SrtpSession> srtp_;
};

}  // namespace sylk::audiomixer
