// A video room's audio bridge to the audio mixer room of the same name (docs/architecture.md,
// "Web users and phones hear each other"): while the room has both publishers with audio and
// mixer participants (phones, Jingle callers, mixer WebRTC users), each local publisher's
// audio is relayed to the mixer as a web feed (a FeedRelay of its audio stream only), and the
// mixer's "web mix" (its participants and remote legs, never the web feeds) comes back into
// an audio-only feed (a RemoteFeed) that pages subscribe to like any publisher. Control loop
// only, except the feed's and relays' counters.
#pragma once

#include <cstdint>
#include <map>
#include <memory>

#include "feed_relay.hpp"
#include "remote_feed.hpp"
#include "sylkcore/json.hpp"

namespace sylk::videoroom {

class RoomAudioBridge {
public:
    RoomAudioBridge(std::shared_ptr<RemoteFeed> mixFeed, uint64_t mixerBridgeId)
        : mix(std::move(mixFeed)), mixerBridge(mixerBridgeId) {}

    // The mixer's web mix as a feed of this room (audio_mix in its "publishers" entry).
    const std::shared_ptr<RemoteFeed> mix;
    // The mixer's id of its side (audiomixer.bridge.open): a mixer room that ended and came back
    // between two of our looks has another, or none.
    const uint64_t mixerBridge;
    struct WebFeed {
        std::shared_ptr<FeedRelay> relay;  // the publisher's audio stream to the mixer
        int mindex = -1;                   // of that audio stream: the relay's payload type
    };
    std::map<uint64_t, WebFeed> feeds;  // by publisher id

    Json describe() const {
        Json relays = Json::array();
        for (const auto& [feed, web] : feeds)
            relays.append(web.relay->describe());
        Json json = Json::object();
        json.set("mix_feed", mix->describe()).set("mixer_bridge", static_cast<json_int_t>(mixerBridge)).set("web_feeds", relays);
        return json;
    }
};

}  // namespace sylk::videoroom
