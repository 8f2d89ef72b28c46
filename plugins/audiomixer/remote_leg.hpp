// One room's audio exchange with one other cluster node (docs/cluster.md, "Audio across
// nodes"), as the control loop keeps it: the Opus participant the mixer ticks (MixRoom::addLeg)
// with its UDP socket on this node's media_ip, and where the leg stands. The node with the
// smaller id offers (audiomixer.remote.attach on the other node); the other answers. Control
// loop only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "mix_participant.hpp"
#include "rtp_endpoint.hpp"
#include "sylkcore/json.hpp"

namespace sylk::audiomixer {

struct RemoteLeg {
    enum class State {
        Offering,  // we asked the other node; not mixed until it answers with its address
        Up,        // in the mixer, both ways
    };

    std::string node;  // the other node's id
    uint64_t id = 0;   // chosen by the offering node; the same on both sides
    State state = State::Offering;
    bool offeredByUs = false;
    std::shared_ptr<MixParticipant> participant;  // Opus; its sink is endpoint
    RtpEndpoint* endpoint = nullptr;              // owned by participant
    std::string peerIp;
    uint16_t peerPort = 0;
    int64_t sinceUs = 0;  // made (offered or answered), monotonic
    // Liveness: the other node sends every tick while it has participants; a leg whose packet
    // count stands still for a while lost its other end (or its path).
    uint64_t lastPacketsIn = 0;
    int64_t lastPacketUs = 0;

    Json describe() const {
        Json json = Json::object();
        json.set("node", node)
            .set("id", static_cast<json_int_t>(id))
            .set("state", state == State::Up ? "up" : "offering")
            .setBool("offered", offeredByUs)
            // Sent this node's web feeds too (the other node has no pages in the room).
            .setBool("with_web_feeds", participant && participant->withWebFeeds.load());
        Json local = Json::object();
        local.set("ip", endpoint ? endpoint->localAddress() : std::string()).set("port", endpoint ? endpoint->localPort() : 0);
        json.set("local", local);
        if (state == State::Up) {
            Json peer = Json::object();
            peer.set("ip", peerIp).set("port", peerPort);
            json.set("peer", peer);
        }
        json.set("packets_in", static_cast<json_int_t>(participant->stats.packetsIn.load()))
            .set("packets_out", static_cast<json_int_t>(participant->stats.packetsOut.load()))
            // What the other node sends now: -dBov of the last frame mixed in (127: silence).
            .set("level_dbov", participant->recentLevel());
        return json;
    }
};

}  // namespace sylk::audiomixer
