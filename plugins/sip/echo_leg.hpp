// The media of a call to the echo application: a UDP socket that sends the caller's RTP back
// to it, as a real echo service does. Packets are reflected, not decoded: the payload and its
// timestamp spacing stay as they came, under our own SSRC and sequence numbers (a stream of
// ours, so the caller's jitter buffer and RTCP do not see its own SSRC coming back). An SDES-SRTP
// call (RTP/SAVP with a=crypto) is unprotected with the caller's key and protected again with ours.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "sylkcore/net/fd_watch.hpp"
#include "sylkcore/net/srtp_session.hpp"
#include "sylkcore/net/stack_thread.hpp"
#include "sylkcore/net/udp_socket.hpp"

namespace sylk::sip {

class EchoLeg {
public:
    // Binds localIp (throws std::runtime_error) and reflects on media's thread from now on;
    // srtp: the call's SDES-SRTP keys, or null for plain RTP.
    EchoLeg(net::StackThread& media, const std::string& localIp, const std::string& peerIp, uint16_t peerPort,
            std::unique_ptr<net::SrtpSession> srtp = nullptr);
    EchoLeg(const EchoLeg&) = delete;
    EchoLeg& operator=(const EchoLeg&) = delete;

    uint16_t localPort() const { return socket_.localPort(); }
    // A re-INVITE that moves the caller's media; false for another family.
    bool setPeer(const std::string& peerIp, uint16_t peerPort) { return socket_.setPeer(peerIp, peerPort); }
    uint64_t reflected() const { return reflected_; }

private:
    void reflect(const uint8_t* packet, size_t length);

    net::UdpSocket socket_;
    std::unique_ptr<net::SrtpSession> srtp_;  // media thread only
    uint32_t ssrc_;
    uint16_t sequence_;
    uint32_t timestampOffset_;
    std::atomic<uint64_t> reflected_{0};
    net::FdWatch watch_;  // last: cancelled (waiting for a running callback) before the rest goes
};

}  // namespace sylk::sip
