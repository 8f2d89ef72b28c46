#include "udp_sender.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace sylk::videoroom {

UdpSender::UdpSender(const std::string& toHost, uint16_t toPort, const std::string& fromHost) : host(toHost), port(toPort) {
    sockaddr_storage address{};
    socklen_t length = 0;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        length = sizeof(*v4);
    } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        length = sizeof(*v6);
    } else {
        throw std::runtime_error("relay address '" + host + "' is no IP address");
    }
    if (port == 0)
        throw std::runtime_error("relay port 0");
    fd_ = ::socket(address.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd_ < 0)
        throw std::runtime_error(std::string("relay socket: ") + std::strerror(errno));
    if (!fromHost.empty()) {
        sockaddr_storage source{};
        auto* source4 = reinterpret_cast<sockaddr_in*>(&source);
        auto* source6 = reinterpret_cast<sockaddr_in6*>(&source);
        const bool parsed = address.ss_family == AF_INET ? inet_pton(AF_INET, fromHost.c_str(), &source4->sin_addr) == 1
                                                         : inet_pton(AF_INET6, fromHost.c_str(), &source6->sin6_addr) == 1;
        source.ss_family = address.ss_family;
        if (!parsed || ::bind(fd_, reinterpret_cast<sockaddr*>(&source), length) != 0) {
            int error = parsed ? errno : EAFNOSUPPORT;
            ::close(fd_);
            throw std::runtime_error("relay source '" + fromHost + "': " + std::strerror(error));
        }
    }
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0) {
        int error = errno;
        ::close(fd_);
        throw std::runtime_error(std::string("relay connect: ") + std::strerror(error));
    }
}

UdpSender::~UdpSender() {
    if (fd_ >= 0)
        ::close(fd_);
}

void UdpSender::send(const char* data, size_t length) {
    if (::send(fd_, data, length, MSG_DONTWAIT | MSG_NOSIGNAL) == static_cast<ssize_t>(length)) {
        packets_.fetch_add(1, std::memory_order_relaxed);
        bytes_.fetch_add(length, std::memory_order_relaxed);
    } else {
        // A full buffer, or ICMP port unreachable from a receiver that went away: dropped.
        dropped_.fetch_add(1, std::memory_order_relaxed);
    }
}

}  // namespace sylk::videoroom
