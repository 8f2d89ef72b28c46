// The receiving end of a relay: a publisher of another node shown in this node's room as a
// feed like a local one. Its RTP comes from a UDP socket of its own (bound to this node's
// media address, port chosen by the kernel) read by a thread of its own, which hands each
// packet to a Publisher without a handle, so local subscribers are fed by the very code that
// feeds them from a browser. The thread starts when the feed first announces media. The payload type of a relayed packet is the publisher's m-line
// index (FeedRelay); packets from any address but the publishing node's are dropped.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "sylkcore/json.hpp"

namespace sylk::videoroom {

class Publisher;

class RemoteFeed {
public:
    // Throws std::runtime_error when the socket cannot be bound.
    RemoteFeed(std::string node, std::shared_ptr<Publisher> feed, const std::string& bindHost);
    ~RemoteFeed();
    RemoteFeed(const RemoteFeed&) = delete;
    RemoteFeed& operator=(const RemoteFeed&) = delete;

    const std::string node;
    const std::shared_ptr<Publisher> feed;
    uint16_t port() const { return port_; }
    // Control loop: the publishing node's address (only its packets are taken) and which m-line
    // indexes are video; before this, every packet is dropped.
    void accept(const std::string& sourceHost, const std::array<bool, 128>& video, const std::array<bool, 128>& known);
    Json describe() const;
    std::atomic<uint64_t> keyframeRequests{0};
    // Control loop: when the relay was last asked for, and whether the publishing node has
    // answered (videoroom.remote.feed) since; an ask or answer lost on the bus is asked again.
    int64_t askedUs = 0;
    bool answered = false;

private:
    void run();

    struct Route {
        std::string source;  // raw address bytes (4 or 16)
        std::array<bool, 128> video{};
        std::array<bool, 128> known{};
    };
    int fd_ = -1;
    int wake_ = -1;  // eventfd: ends the thread
    uint16_t port_ = 0;
    std::atomic<std::shared_ptr<const Route>> route_;
    std::atomic<uint64_t> packets_{0}, refused_{0};
    std::thread thread_;
};

}  // namespace sylk::videoroom
