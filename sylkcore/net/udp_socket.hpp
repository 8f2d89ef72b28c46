// A non-blocking UDP socket bound to an ephemeral port and tied to one peer: the plain-RTP side
// of an audio leg (a mixer participant, a SIP call). Datagrams from other hosts are dropped.
#pragma once

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "../api.hpp"

namespace sylk::net {

class SYLK_API UdpSocket {
public:
    // Binds localAddress on an ephemeral port; throws std::runtime_error on failure.
    UdpSocket(const std::string& localAddress, const std::string& peerAddress, uint16_t peerPort);
    ~UdpSocket();
    UdpSocket(const UdpSocket&) = delete;
    UdpSocket& operator=(const UdpSocket&) = delete;

    int fd() const { return fd_; }
    uint16_t localPort() const { return localPort_; }
    const std::string& localAddress() const { return localAddress_; }
    // Points the socket at another peer (a re-INVITE that moves the media, a dial-out's answer);
    // false for an address of another family or one that does not parse. Safe while another
    // thread sends or drains.
    bool setPeer(const std::string& peerAddress, uint16_t peerPort);
    // Reads up to maxDatagrams waiting datagrams (non-blocking) from the peer's host and hands
    // each to receive; bounded so that a flood cannot stall the caller's thread. anySource takes
    // datagrams from any host: for SRTP, whose authentication tells the peer's packets apart
    // (a multi-homed peer may send from another address than the one its SDP gave).
    void drain(const std::function<void(const uint8_t*, size_t)>& receive, int maxDatagrams = 64,
               bool anySource = false);
    void send(const uint8_t* packet, size_t length);

private:
    int fd_ = -1;
    std::string localAddress_;
    uint16_t localPort_ = 0;
    mutable std::mutex peerMutex_;  // peer_ changes rarely; sends read it
    sockaddr_storage peer_{};
    socklen_t peerLength_ = 0;
};

}  // namespace sylk::net
