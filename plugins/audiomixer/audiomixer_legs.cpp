// Remote legs of janus.plugin.sylk.audiomixer: a room with participants on several cluster
// nodes exchanges one Opus stream per pair of nodes, each side sending the mix of its own
// participants (docs/cluster.md, "Audio across nodes"; the mixing rule is MixRoom's).
//
// Who has mixer participants where comes from the hub room: the cluster's bridge puts other
// nodes' members there as "janus.plugin.sylk.cluster/<node>/<their id>", so a member
// "janus.plugin.sylk.cluster/B/janus.plugin.sylk.audiomixer/<n>" says node B mixes this room
// too. On every such join or leave (and every second, for retries and silent legs) the loop
// reconciles: a leg per such node while this node has participants, none otherwise. Of two
// nodes the one with the smaller id offers (cluster.call of audiomixer.remote.attach, made on
// the dialer thread, never on this loop, which serves the other nodes' calls); the other only
// answers, so two nodes never make two legs for one pair.
#include "audiomixer_common.hpp"
#include "audiomixer_plugin.hpp"

#include <glib.h>

#include "sylkcore/cluster/member_id.hpp"
#include "sylkcore/hub/services.hpp"
#include "sylkcore/hub/service_names.hpp"
#include "sylkcore/log.hpp"

namespace sylk::audiomixer {
namespace {

constexpr int kOpusPayloadType = 111;
constexpr int kDialerTickMs = 1000;
// A leg answered here is kept this long before this node has seen the offering node's
// participants through the bus: the offer (cluster.call) can overtake the bridge's events.
constexpr int64_t kAnswerGraceUs = 5'000'000;
// The other node sends every 20 ms while it has participants: this long without a packet and
// the leg is dropped (and offered again if it is still wanted).
constexpr int64_t kSilentLegUs = 5'000'000;
// After a refusal or a failed call, the next offer to that node for that room waits this long.
constexpr int64_t kRetryUs = 2'000'000;
constexpr int kCallTimeoutMs = 3000;

constexpr const char* kVideoRoomPackage = "janus.plugin.sylk.videoroom";

}  // namespace

std::string AudioMixerPlugin::videoRoomNodeOf(const std::string& memberId) {
    return cluster::nodeOfMember(memberId, kVideoRoomPackage);
}

bool AudioMixerPlugin::isMixerMember(const std::string& memberId) {
    return memberId.rfind(std::string(kPackage) + "/", 0) == 0 || !cluster::nodeOfMember(memberId, kPackage).empty();
}

void AudioMixerPlugin::startLegs() {
    hub::Services::instance().offer(hub::service::AudioMixerRemoteAttach, [this](const Json& request) { return attachRemoteLeg(request); });
    hub::Services::instance().offer(hub::service::AudioMixerRemoteDetach, [this](const Json& request) { return detachRemoteLeg(request); });
    dialer_ = std::make_unique<LegDialer>(kDialerTickMs, [this] { legTick(); });
}

void AudioMixerPlugin::stopLegs() {
    hub::Services::instance().withdraw(hub::service::AudioMixerRemoteAttach);
    hub::Services::instance().withdraw(hub::service::AudioMixerRemoteDetach);
    if (dialer_)
        dialer_->stop();  // before the rooms go: its jobs post to the loop
}

std::optional<AudioMixerPlugin::ClusterSelf> AudioMixerPlugin::askClusterSelf() {
    // cluster.self only reads the cluster plugin's settings, on the caller's thread: safe from
    // the dialer and from the loop alike.
    if (!hub::Services::instance().offered(hub::service::ClusterSelf))
        return std::nullopt;  // no cluster plugin (yet): a single node
    ClusterSelf self;
    try {
        Json answer = hub::Services::instance().call(hub::service::ClusterSelf, Json::object());
        RequestReader reader(answer.get());
        self.enabled = reader.optionalBool("enabled").value_or(false);
        self.node = reader.optionalString("node", 128).value_or("");
        self.mediaIp = reader.optionalString("media_ip", 64).value_or("");
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_WARN, kPackage, "cluster.self: %s", e.what());
        return std::nullopt;
    }
    self.known = true;
    if (self.enabled && (self.node.empty() || self.mediaIp.empty())) {
        SYLK_LOG(LOG_ERR, kPackage, "cluster.self gave no node id or media_ip: rooms will not span nodes");
        self.enabled = false;
    }
    return self;
}

void AudioMixerPlugin::learnClusterSelf(const ClusterSelf& self) {
    if (cluster_.known)
        return;
    cluster_ = self;
    clusterKnown_ = true;
    if (!cluster_.enabled)
        return;
    SYLK_LOG(LOG_INFO, kPackage, "cluster node %s: remote legs on %s", cluster_.node.c_str(), cluster_.mediaIp.c_str());
    std::vector<std::string> keys;
    for (const auto& [key, room] : rooms_)
        keys.push_back(key);
    for (const auto& key : keys)
        loop().post([this, key] { reconcileLegs(key); });
}

void AudioMixerPlugin::legTick() {
    // Dialer thread. Until cluster.self is known nothing crosses nodes.
    if (!clusterKnown_) {
        if (auto self = askClusterSelf())
            loop().post([this, self = *self] { learnClusterSelf(self); });
        return;
    }
    loop().post([this] {
        if (!cluster_.enabled)
            return;
        // Only rooms where something can be due: legs to watch, offers to retry.
        std::vector<std::string> keys;
        for (const auto& [key, room] : rooms_)
            if (!room.legs.empty() || !room.retryAfterUs.empty())
                keys.push_back(key);
        for (const auto& key : keys)
            reconcileLegs(key);
    });
}

std::set<std::string> AudioMixerPlugin::nodesWith(const hub::Room& hubRoom, const char* package) const {
    std::set<std::string> nodes;
    for (const auto& member : hubRoom.members()) {
        std::string node = cluster::nodeOfMember(member.id, package);
        if (!node.empty() && node != cluster_.node)
            nodes.insert(node);
    }
    return nodes;
}

std::set<std::string> AudioMixerPlugin::mixerNodes(const hub::Room& hubRoom) const { return nodesWith(hubRoom, kPackage); }

std::set<std::string> AudioMixerPlugin::videoRoomNodes(const hub::Room& hubRoom) const {
    return nodesWith(hubRoom, kVideoRoomPackage);
}

void AudioMixerPlugin::reconcileLegs(const std::string& key) {
    if (!cluster_.enabled)
        return;
    Room* room = findRoom(key);
    if (!room)
        return;  // its legs went with it (closeRoom)
    // A leg to each node with mixer participants while this node mixes the room (participants or
    // the video room's bridge); with participants here, also to each node with pages: its video
    // room opens a bridge for our phones, and the smaller id must offer although that node has no
    // mixer member (until its bridge is open it refuses, and the offer is retried).
    const bool local = room->mixesHere();
    std::set<std::string> wanted = local ? mixerNodes(*room->hub) : std::set<std::string>{};
    const std::set<std::string> pages = videoRoomNodes(*room->hub);
    if (room->mixer->size() > 0)
        wanted.insert(pages.begin(), pages.end());
    const int64_t now = g_get_monotonic_time();
    std::vector<std::pair<std::string, const char*>> drops;
    for (auto& [node, leg] : room->legs) {
        if (!wanted.count(node)) {
            // An answered leg may come before the offering node's members do (the call and the
            // bus's events travel apart): give the members a moment while we have participants.
            if (local && !leg.offeredByUs && now - leg.sinceUs < kAnswerGraceUs)
                continue;
            drops.emplace_back(node, local ? "no participants there any more" : "no participants here any more");
            continue;
        }
        // A node without pages hears our pages only through the leg (docs/cluster.md).
        leg.participant->withWebFeeds.store(!pages.count(node), std::memory_order_relaxed);
        if (leg.state != RemoteLeg::State::Up)
            continue;
        uint64_t packets = leg.participant->stats.packetsIn.load();
        if (packets != leg.lastPacketsIn) {
            leg.lastPacketsIn = packets;
            leg.lastPacketUs = now;
        } else if (now - leg.lastPacketUs >= kSilentLegUs) {
            drops.emplace_back(node, "nothing received for 5 s");
        }
    }
    for (const auto& [node, why] : drops) {
        if (std::string(why) == "nothing received for 5 s")
            ++legCounters_.silent;
        dropLeg(key, *room, node, true, why);
    }
    std::erase_if(room->retryAfterUs, [&](const auto& entry) { return !wanted.count(entry.first); });
    for (const auto& node : wanted) {
        if (room->legs.count(node) || !(cluster_.node < node))
            continue;  // there already, or the other node's to offer (the smaller id offers)
        if (auto retry = room->retryAfterUs.find(node); retry != room->retryAfterUs.end()) {
            if (now < retry->second)
                continue;
            room->retryAfterUs.erase(retry);
        }
        offerLeg(key, *room, node);
    }
}

std::shared_ptr<MixParticipant> AudioMixerPlugin::makeLegParticipant(uint64_t legId, const std::string& node,
                                                                     int sampleRate, const std::string& peerIp,
                                                                     uint16_t peerPort, RtpEndpoint*& endpoint) {
    // Plain RTP on the cluster's private network (media_ip): no SRTP, as the bus has no TLS there.
    auto socket = std::make_unique<RtpEndpoint>(cluster_.mediaIp, peerIp, peerPort);
    endpoint = socket.get();
    return std::make_shared<MixParticipant>(legId, "node " + node, audio::CodecId::Opus, kOpusPayloadType, sampleRate,
                                            std::move(socket));
}

void AudioMixerPlugin::offerLeg(const std::string& key, Room& room, const std::string& node) {
    RemoteLeg leg;
    leg.node = node;
    leg.id = randomId();
    leg.offeredByUs = true;
    leg.sinceUs = g_get_monotonic_time();
    try {
        // The peer's address comes with the answer; until then the socket points at our own
        // discard port and nothing is sent (the leg is not in the mixer yet).
        leg.participant = makeLegParticipant(leg.id, node, room.mixer->settings.sampleRate, cluster_.mediaIp, 9,
                                             leg.endpoint);
        leg.participant->withWebFeeds.store(!videoRoomNodes(*room.hub).count(node), std::memory_order_relaxed);
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_ERR, kPackage, "room %s: no socket on media_ip %s for a leg to node %s: %s", key.c_str(),
                 cluster_.mediaIp.c_str(), node.c_str(), e.what());
        room.retryAfterUs[node] = leg.sinceUs + kRetryUs;
        return;
    }
    Json rtp = Json::object();
    rtp.set("ip", cluster_.mediaIp).set("port", leg.endpoint->localPort()).set("payload_type", kOpusPayloadType);
    Json attach = Json::object();
    attach.set("room", roomValue(key)).set("leg", static_cast<json_int_t>(leg.id)).set("rtp", rtp);
    Json call = Json::object();
    call.set("node", node).set("service", hub::service::AudioMixerRemoteAttach).set("request", attach).set("timeout_ms", kCallTimeoutMs);
    const uint64_t legId = leg.id;
    room.legs[node] = std::move(leg);
    ++legCounters_.offered;
    SYLK_LOG(LOG_INFO, kPackage, "room %s: offering a leg to node %s", key.c_str(), node.c_str());
    dialer_->post([this, key, node, legId, call] {
        try {
            Json answer = hub::Services::instance().call(hub::service::ClusterCall, call);
            loop().post([this, key, node, legId, answer] { onLegAnswered(key, node, legId, answer); });
        } catch (const std::exception& e) {
            loop().post([this, key, node, legId, why = std::string(e.what())] { onLegRefused(key, node, legId, why); });
        }
    });
}

void AudioMixerPlugin::onLegAnswered(const std::string& key, const std::string& node, uint64_t legId,
                                     const Json& answer) {
    Room* room = findRoom(key);
    auto it = room ? room->legs.find(node) : decltype(room->legs.end()){};
    if (!room || it == room->legs.end() || it->second.id != legId || it->second.state != RemoteLeg::State::Offering) {
        // Given up meanwhile (the participants left): the other node must drop its side too.
        Json detach = Json::object();
        detach.set("room", roomValue(key)).set("leg", static_cast<json_int_t>(legId));
        Json send = Json::object();
        send.set("node", node).set("service", hub::service::AudioMixerRemoteDetach).set("request", detach);
        dialer_->post([send] {
            try {
                hub::Services::instance().call(hub::service::ClusterSend, send);
            } catch (const std::exception&) {
            }
        });
        return;
    }
    RemoteLeg& leg = it->second;
    std::string ip;
    uint16_t port = 0;
    try {
        RequestReader reader(answer.get());
        json_t* rtpObject = reader.optionalObject("rtp");
        if (!rtpObject)
            throw RequestError(ErrorCode::MissingField, "the answer has no 'rtp'");
        RequestReader rtp(rtpObject);
        ip = rtp.requireString("ip", 64);
        port = static_cast<uint16_t>(rtp.requireInt("port", 1, 65535));
        if (reader.requireInt("leg", 1, kMaxId) != static_cast<int64_t>(legId))
            throw RequestError(ErrorCode::InvalidField, "the answer names another leg");
        if (!leg.endpoint->setPeer(ip, port))
            throw RequestError(ErrorCode::InvalidField, "rtp.ip is not an address of media_ip's family");
    } catch (const std::exception& e) {
        onLegRefused(key, node, legId, std::string("unusable answer: ") + e.what());
        return;
    }
    leg.peerIp = ip;
    leg.peerPort = port;
    leg.state = RemoteLeg::State::Up;
    leg.lastPacketUs = g_get_monotonic_time();
    room->mixer->addLeg(leg.participant);
    SYLK_LOG(LOG_INFO, kPackage, "room %s: leg %llu to node %s up (%s:%u)", key.c_str(), (unsigned long long)legId,
             node.c_str(), ip.c_str(), port);
}

void AudioMixerPlugin::onLegRefused(const std::string& key, const std::string& node, uint64_t legId,
                                    const std::string& why) {
    ++legCounters_.refused;
    legCounters_.lastRefusal = "node " + node + ", room " + key + ": " + why;
    Room* room = findRoom(key);
    // A node with pages and no phones refuses until its video room opens a bridge, which it never
    // does for pages that publish no audio: expected, retried, not worth a warning every 2 s.
    const int level = room && !mixerNodes(*room->hub).count(node) ? LOG_VERB : LOG_WARN;
    SYLK_LOG(level, kPackage, "room %s: node %s refused leg %llu: %s", key.c_str(),
             node.c_str(), (unsigned long long)legId, why.c_str());
    if (!room)
        return;
    auto it = room->legs.find(node);
    if (it == room->legs.end() || it->second.id != legId)
        return;
    room->mixer->removeLeg(legId);
    room->legs.erase(it);
    room->retryAfterUs[node] = g_get_monotonic_time() + kRetryUs;
}

void AudioMixerPlugin::dropLeg(const std::string& key, Room& room, const std::string& node, bool tell, const char* why) {
    auto it = room.legs.find(node);
    if (it == room.legs.end())
        return;
    const uint64_t legId = it->second.id;
    room.mixer->removeLeg(legId);  // the mixer thread lets go of it (and its socket) after its tick
    room.legs.erase(it);
    ++legCounters_.closed;
    SYLK_LOG(LOG_INFO, kPackage, "room %s: leg %llu to node %s ends: %s", key.c_str(), (unsigned long long)legId,
             node.c_str(), why);
    if (!tell || !dialer_)
        return;
    Json detach = Json::object();
    detach.set("room", roomValue(key)).set("leg", static_cast<json_int_t>(legId));
    Json send = Json::object();
    send.set("node", node).set("service", hub::service::AudioMixerRemoteDetach).set("request", detach);
    dialer_->post([send] {
        try {
            hub::Services::instance().call(hub::service::ClusterSend, send);  // one way: its answer is dropped there
        } catch (const std::exception& e) {
            SYLK_LOG(LOG_WARN, kPackage, "cluster.send of a leg's end: %s", e.what());
        }
    });
}

void AudioMixerPlugin::dropAllLegs(const std::string& key, Room& room, bool tell) {
    std::vector<std::string> nodes;
    for (const auto& [node, leg] : room.legs)
        nodes.push_back(node);
    for (const auto& node : nodes)
        dropLeg(key, room, node, tell, "the room closes here");
    room.retryAfterUs.clear();
}

Json AudioMixerPlugin::attachRemoteLeg(const Json& request) {
    // Another node's offer, through cluster.call (a NATS thread waits for the answer):
    // {"room", "leg", "rtp": {"ip", "port", "payload_type"?}, "from_node"} ->
    // {"room", "leg", "rtp": {"ip", "port", "payload_type"}}.
    return runOnLoop([&] {
        RequestReader reader(request.get());
        std::string key = roomKey(reader);
        std::string from = reader.requireString("from_node", 128);
        auto legId = static_cast<uint64_t>(reader.requireInt("leg", 1, kMaxId));
        json_t* rtpObject = reader.optionalObject("rtp");
        if (!rtpObject)
            throw RequestError(ErrorCode::MissingField, "missing 'rtp' ({\"ip\", \"port\"}: where to send this node's mix)");
        RequestReader rtp(rtpObject);
        std::string ip = rtp.requireString("ip", 64);
        auto port = static_cast<uint16_t>(rtp.requireInt("port", 1, 65535));
        if (rtp.optionalInt("payload_type", 0, 127).value_or(kOpusPayloadType) != kOpusPayloadType)
            throw RequestError(ErrorCode::InvalidField, "a remote leg is Opus with payload type 111");
        if (!cluster_.known) {  // an offer before the dialer's first tick: learn it now
            if (auto self = askClusterSelf())
                learnClusterSelf(*self);
        }
        if (!cluster_.enabled)
            throw RequestError(ErrorCode::WrongState, "node not ready for remote legs (cluster.self not known yet)");
        if (from == cluster_.node || !(from < cluster_.node))
            throw RequestError(ErrorCode::InvalidField, "node " + from + " may not offer a leg to node " + cluster_.node +
                                                            ": the node with the smaller id offers");
        Room* room = findRoom(key);
        if (!room || !room->mixesHere())
            throw RequestError(ErrorCode::AudioMixerNoSuchRoom,
                               "no such room '" + key + "' on node " + cluster_.node + " (no audio participants here)");
        // A new offer from a node we have a leg with replaces it: that node dropped its side.
        if (room->legs.count(from))
            dropLeg(key, *room, from, false, "replaced by a new offer");
        RemoteLeg leg;
        leg.node = from;
        leg.id = legId;
        leg.state = RemoteLeg::State::Up;
        leg.peerIp = ip;
        leg.peerPort = port;
        leg.sinceUs = leg.lastPacketUs = g_get_monotonic_time();
        try {
            leg.participant = makeLegParticipant(legId, from, room->mixer->settings.sampleRate, ip, port, leg.endpoint);
        } catch (const std::exception& e) {
            throw RequestError(ErrorCode::AudioMixerRtpUnavailable, e.what());
        }
        leg.participant->withWebFeeds.store(!videoRoomNodes(*room->hub).count(from), std::memory_order_relaxed);
        room->mixer->addLeg(leg.participant);
        Json answerRtp = Json::object();
        answerRtp.set("ip", cluster_.mediaIp).set("port", leg.endpoint->localPort()).set("payload_type", kOpusPayloadType);
        room->legs[from] = std::move(leg);
        room->retryAfterUs.erase(from);
        ++legCounters_.answered;
        SYLK_LOG(LOG_INFO, kPackage, "room %s: leg %llu from node %s up (%s:%u)", key.c_str(),
                 (unsigned long long)legId, from.c_str(), ip.c_str(), port);
        Json reply = Json::object();
        reply.set("room", roomValue(key)).set("leg", static_cast<json_int_t>(legId)).set("rtp", answerRtp);
        return Reply{reply, {}};
    }).body;
}

Json AudioMixerPlugin::detachRemoteLeg(const Json& request) {
    // {"room", "leg", "from_node"}: the other node ended its side (through cluster.send).
    return runOnLoop([&] {
        RequestReader reader(request.get());
        std::string key = roomKey(reader);
        std::string from = reader.requireString("from_node", 128);
        auto legId = static_cast<uint64_t>(reader.requireInt("leg", 1, kMaxId));
        Room* room = findRoom(key);
        if (!room)
            throw RequestError(ErrorCode::AudioMixerNoSuchRoom, "no such room '" + key + "' on node " + cluster_.node);
        auto it = room->legs.find(from);
        bool detached = it != room->legs.end() && it->second.id == legId;
        if (detached) {
            dropLeg(key, *room, from, false, "its other end went");
            // Still wanted (the other node's participants came back at once)? Offer again.
            loop().post([this, key] { reconcileLegs(key); });
        }
        Json reply = Json::object();
        reply.setBool("detached", detached);
        return Reply{reply, {}};
    }).body;
}

Json AudioMixerPlugin::legStatus() const {
    Json status = Json::object();
    status.setBool("enabled", cluster_.enabled);
    if (!cluster_.enabled)
        return status;
    size_t up = 0;
    for (const auto& [key, room] : rooms_)
        for (const auto& [node, leg] : room.legs)
            up += leg.state == RemoteLeg::State::Up;
    status.set("node", cluster_.node)
        .set("media_ip", cluster_.mediaIp)
        .set("legs_up", static_cast<json_int_t>(up))
        .set("legs_offered", static_cast<json_int_t>(legCounters_.offered))
        .set("legs_answered", static_cast<json_int_t>(legCounters_.answered))
        .set("legs_refused", static_cast<json_int_t>(legCounters_.refused))
        .set("legs_closed", static_cast<json_int_t>(legCounters_.closed))
        .set("legs_silent", static_cast<json_int_t>(legCounters_.silent));
    if (!legCounters_.lastRefusal.empty())
        status.set("last_refusal", legCounters_.lastRefusal);
    return status;
}

}  // namespace sylk::audiomixer
