// A connected UDP socket that sends a relay's RTP to another node (plain RTP on the cluster's
// private network, docs/cluster.md "Video across nodes"). Sends never block: a full socket
// buffer drops the packet, as a congested network would, rather than stall the publisher's
// media thread. Counts what it sent, for `list_relays` and the benchmark.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace sylk::videoroom {

class UdpSender {
public:
    // Throws std::runtime_error when host is no IPv4/IPv6 literal or the socket cannot be made.
    // fromHost (an IP literal of this host, of host's family): the source address, as the
    // receiving node takes a relay's packets from the sending node's media address only; a
    // host with several addresses (nodes on one machine, a multi-homed node) would otherwise
    // send from whichever its routes pick. Empty: the kernel's choice.
    UdpSender(const std::string& host, uint16_t port, const std::string& fromHost = "");
    ~UdpSender();
    UdpSender(const UdpSender&) = delete;
    UdpSender& operator=(const UdpSender&) = delete;

    // Any thread.
    void send(const char* data, size_t length);
    uint64_t packets() const { return packets_.load(std::memory_order_relaxed); }
    uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
    uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
    const std::string host;
    const uint16_t port;

private:
    int fd_ = -1;
    std::atomic<uint64_t> packets_{0}, bytes_{0}, dropped_{0};
};

}  // namespace sylk::videoroom
