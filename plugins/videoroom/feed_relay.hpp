// The sending end of a relay: one publisher's streams going to one other node (or, from the
// admin API, to any UDP address), once, whatever the number of subscribers there. Each stream
// gets a target like a subscriber's m-line whose packets go to a UdpSender instead of a
// PeerConnection: the same RTP rewriting keeps each relayed stream one continuous sequence,
// and of a simulcast publisher only the top layer goes (docs/cluster.md "Video across nodes").
// Control loop only, except the counters.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "streams.hpp"
#include "udp_sender.hpp"

namespace sylk::videoroom {

class Publisher;

class FeedRelay {
public:
    // node: the receiving node's id (empty: an admin relay to a plain address).
    // audioOnly: the audio streams alone (the room's audio bridge to the mixer).
    FeedRelay(std::string node, const std::shared_ptr<Publisher>& publisher, std::shared_ptr<UdpSender> sender,
              bool audioOnly = false);
    ~FeedRelay();
    FeedRelay(const FeedRelay&) = delete;
    FeedRelay& operator=(const FeedRelay&) = delete;

    const std::string node;
    const uint64_t feed;
    // Monotonic; and whether a relay check saw the receiving node with video room members: a
    // relay to a node with none is stale once it was seen with some or has had time to.
    const int64_t startedUs;
    bool seenWatching = false;  // control loop
    // Hooks a target on every audio and video stream the publisher sends now (again after a
    // renegotiation) and asks for a keyframe, so the receivers start at once.
    void attach();
    void detach();
    bool attached() const { return !targets_.empty(); }
    // What the receiving node needs to show the feed: {"display", "streams": [{"mindex", "mid",
    // "type", "codec", "pt", "description"}]} (empty streams: not publishing now).
    Json feedDescription() const;
    Json describe() const;
    std::atomic<uint64_t> keyframeRequests{0};

private:
    std::weak_ptr<Publisher> publisher_;
    const bool audioOnly_;
    std::shared_ptr<UdpSender> sender_;
    struct Hooked {
        std::weak_ptr<PublishedStream> stream;
        std::shared_ptr<SubscriberStream> target;
    };
    std::vector<Hooked> targets_;
};

}  // namespace sylk::videoroom
