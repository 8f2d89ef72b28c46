#include "udp_socket.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace sylk::net {
namespace {

bool fillAddress(const std::string& ip, uint16_t port, sockaddr_storage& storage, socklen_t& length) {
    std::memset(&storage, 0, sizeof(storage));
    auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
    if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        length = sizeof(sockaddr_in);
        return true;
    }
    if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        length = sizeof(sockaddr_in6);
        return true;
    }
    return false;
}

bool sameHost(const sockaddr_storage& a, const sockaddr_storage& b) {
    if (a.ss_family != b.ss_family)
        return false;
    if (a.ss_family == AF_INET)
        return std::memcmp(&reinterpret_cast<const sockaddr_in*>(&a)->sin_addr,
                           &reinterpret_cast<const sockaddr_in*>(&b)->sin_addr, sizeof(in_addr)) == 0;
    return std::memcmp(&reinterpret_cast<const sockaddr_in6*>(&a)->sin6_addr,
                       &reinterpret_cast<const sockaddr_in6*>(&b)->sin6_addr, sizeof(in6_addr)) == 0;
}

}  // namespace

UdpSocket::UdpSocket(const std::string& localAddress, const std::string& peerAddress, uint16_t peerPort)
    : localAddress_(localAddress) {
    sockaddr_storage local{};
    socklen_t localLength = 0;
    if (!fillAddress(localAddress, 0, local, localLength))
        throw std::runtime_error("rtp: bad local address '" + localAddress + "'");
    if (!fillAddress(peerAddress, peerPort, peer_, peerLength_))
        throw std::runtime_error("rtp: bad peer address '" + peerAddress + "'");
    if (local.ss_family != peer_.ss_family)
        throw std::runtime_error("rtp: peer and local addresses are of different families");
    fd_ = socket(local.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&local), localLength) != 0) {
        std::string why = std::strerror(errno);
        if (fd_ >= 0)
            close(fd_);
        throw std::runtime_error("rtp: cannot bind: " + why);
    }
    getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &localLength);
    localPort_ = ntohs(local.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&local)->sin_port
                                                  : reinterpret_cast<sockaddr_in6*>(&local)->sin6_port);
}

UdpSocket::~UdpSocket() {
    if (fd_ >= 0)
        close(fd_);
}

bool UdpSocket::setPeer(const std::string& peerAddress, uint16_t peerPort) {
    sockaddr_storage peer{};
    socklen_t length = 0;
    std::lock_guard lock(peerMutex_);
    if (!fillAddress(peerAddress, peerPort, peer, length) || peer.ss_family != peer_.ss_family)
        return false;
    peer_ = peer;
    peerLength_ = length;
    return true;
}

void UdpSocket::drain(const std::function<void(const uint8_t*, size_t)>& receive, int maxDatagrams, bool anySource) {
    uint8_t buffer[1500];
    for (int i = 0; i < maxDatagrams; ++i) {
        sockaddr_storage from{};
        socklen_t fromLength = sizeof(from);
        ssize_t length = recvfrom(fd_, buffer, sizeof(buffer), 0, reinterpret_cast<sockaddr*>(&from), &fromLength);
        if (length < 0)
            return;
        // Only the peer's host may feed the leg (its port may differ: NAT, symmetric RTP).
        bool accepted = anySource;
        if (!accepted) {
            std::lock_guard lock(peerMutex_);
            accepted = sameHost(from, peer_);
        }
        if (accepted)
            receive(buffer, static_cast<size_t>(length));
    }
}

void UdpSocket::send(const uint8_t* packet, size_t length) {
    sockaddr_storage peer;
    socklen_t peerLength;
    {
        std::lock_guard lock(peerMutex_);
        peer = peer_;
        peerLength = peerLength_;
    }
    sendto(fd_, packet, length, MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&peer), peerLength);
}

}  // namespace sylk::net
