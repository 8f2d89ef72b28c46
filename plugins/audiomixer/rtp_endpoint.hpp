// A plain-RTP participant's UDP socket (with SDES-SRTP when its signalling negotiated keys, or
// ZRTP when the phone offered a=zrtp-hash: the exchange runs on this socket and keys SRTP on
// SECURE). The mixer thread drains it each tick (as its room is mixed), runs the ZRTP timers
// there and sends the participant's mix through it; no thread of its own.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "audio_sink.hpp"
#include "sylkcore/net/srtp_session.hpp"
#include "sylkcore/net/udp_socket.hpp"
#include "sylkcore/net/zrtp_session.hpp"

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
        if (zrtp_ && zrtpRunning_ && !zrtp_->tick())
            zrtpRunning_ = false;  // SECURE, or given up: the leg stays as it is (plain before SECURE)
        if (!srtp_ && !zrtp_) {
            socket_.drain(receive);
            return;
        }
        socket_.drain([&](const uint8_t* packet, size_t length) {
            if (zrtp_ && net::ZrtpSession::isZrtp(packet, length)) {
                zrtp_->receive(packet, length);  // may reach SECURE and key srtp_ (this thread)
                return;
            }
            if (!srtp_) {  // ZRTP not SECURE yet: audio in the clear, as RFC 6189 has it
                receive(packet, length);
                return;
            }
            uint8_t clear[1500];
            if (length > sizeof(clear))
                return;
            std::copy(packet, packet + length, clear);
            if (srtp_->unprotect(clear, length))
                receive(clear, length);
        }, 64, srtp_ != nullptr);  // SRTP authenticates the peer, wherever it sends from
    }
    // ZRTP on this leg (before the mixer thread sees it): our hello hash for the SDP answer, and
    // the exchange started with the phone's. onSecure runs on the mixer thread once SRTP is
    // keyed, inside the ZRTP session's lock. Throws std::runtime_error if bzrtp refuses.
    using ZrtpListener = std::function<void(const net::ZrtpKeys& keys)>;
    std::string startZrtp(net::ZrtpCache* cache, const std::string& selfUri, const std::string& peerUri,
                          const std::string& peerHelloHash, uint32_t selfSsrc, ZrtpListener onSecure) {
        zrtp_ = std::make_unique<net::ZrtpSession>(
            selfSsrc, cache, selfUri, peerUri,
            [this](const uint8_t* packet, size_t length) { socket_.send(packet, length); },
            [this, onSecure = std::move(onSecure)](const net::ZrtpKeys& keys) {
                try {
                    srtp_ = std::make_unique<net::SrtpSession>(keys.suite, keys.localKey, keys.remoteKey);
                } catch (const std::exception&) {
                    return;  // a suite libsrtp2 refuses: the leg stays plain (bzrtp offers only ours)
                }
                onSecure(keys);
            });
        std::string hash = zrtp_->helloHash();
        zrtp_->start(peerHelloHash);
        zrtpRunning_ = true;
        return hash;
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
    std::unique_ptr<net::ZrtpSession> zrtp_;  // declared after srtp_: its callback sets srtp_
    bool zrtpRunning_ = false;                // mixer thread (set before the leg is handed to it)
};

}  // namespace sylk::audiomixer
