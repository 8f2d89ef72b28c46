// Video across nodes (docs/cluster.md "Video across nodes"): a room that spans nodes shows each
// node's participants the publishers of the others, each relayed once per receiving node.
//
// Node B (has participants of its own, sees a video room participant of node A in its hub room
// through the bridge) binds a UDP socket for that feed (RemoteFeed) and asks A with cluster.send
// `videoroom.remote.relay` {room, feed, host, port}. A (FeedRelay) answers with
// `videoroom.remote.feed` {room, feed, host, display, streams} whenever the publisher
// publishes, renegotiates or unpublishes (streams []), and sends its RTP while it publishes. B
// shows the feed with the usual `publishers`/`unpublished` events. B's keyframe requests go to
// A as `videoroom.remote.keyframe`; B's last participant leaving sends `videoroom.remote.stop`;
// A's participant leaving, or A dying, reaches B as the hub member's `left`. A refusal comes
// back as `videoroom.remote.refused`. Only cluster.send, never cluster.call: these handlers run
// on this control loop, and two nodes calling each other from their loops would deadlock.
#include <glib.h>

#include <algorithm>
#include <set>

#include "feed_relay.hpp"
#include "sylkcore/cluster/member_id.hpp"
#include "publisher.hpp"
#include "remote_feed.hpp"
#include "room.hpp"
#include "subscriber.hpp"
#include "sylkcore/hub/events.hpp"
#include "sylkcore/hub/services.hpp"
#include "sylkcore/hub/service_names.hpp"
#include "sylkcore/log.hpp"
#include "videoroom_common.hpp"
#include "videoroom_plugin.hpp"
#include "videoroom_requests.hpp"

namespace sylk::videoroom {
namespace {

const std::string kClusterPlugin = "janus.plugin.sylk.cluster";
const std::string kOwnPrefix = std::string(kPackage) + "/";
constexpr int kRelayCheckMs = 2000;
// A relay asked for and not answered within this is asked again (the bus lost either message;
// the publishing node answers at once, even when the feed is not publishing).
constexpr int64_t kRelayAnswerUs = 3'000'000;
// A relay to a node none of whose video room members this node has seen yet is left alone
// this long: the ask and the members' "joined" travel apart on the bus. Once seen with
// members, a node without any is dropped at the next check.
constexpr int64_t kRelayYoungUs = 10'000'000;
// Every this many checks (kRelayCheckMs apart), the publishing node sends each relay's feed
// description again: one bus message per relay, idempotent at the receiver.
constexpr uint64_t kDescribeEveryChecks = 5;

// "janus.plugin.sylk.cluster/<node>/janus.plugin.sylk.videoroom/<id>" -> (node, id); id 0:
// not another node's video room participant.
std::pair<std::string, uint64_t> remoteParticipant(const std::string& member) {
    std::string node = cluster::nodeOfMember(member, kPackage);
    if (node.empty())
        return {};
    std::string digits = member.substr(cluster::kMemberPrefix.size() + node.size() + 1 + kOwnPrefix.size());
    if (digits.empty() || digits.size() > 19 || digits.find_first_not_of("0123456789") != std::string::npos)
        return {};
    return {node, std::stoull(digits)};
}

// Whether a feed described again has the streams it has now (nothing to announce).
bool sameStreams(const std::vector<std::shared_ptr<PublishedStream>>& now,
                 const std::vector<std::shared_ptr<PublishedStream>>& described) {
    return std::equal(now.begin(), now.end(), described.begin(), described.end(), [](const auto& a, const auto& b) {
        return a->mindex == b->mindex && a->mid == b->mid && a->kind == b->kind && a->codec == b->codec &&
               a->pt == b->pt && a->description == b->description;
    });
}

MediaKind kindNamed(const std::string& type) {
    return type == "audio" ? MediaKind::Audio : type == "video" ? MediaKind::Video : MediaKind::Data;
}

}  // namespace

void VideoRoomPlugin::offerRelayServices() {
    auto& services = hub::Services::instance();
    services.offer(hub::service::VideoRoomRemoteRelay, [this](const Json& request) { return runOnLoop([&] { return Reply{relayForNode(request), {}}; }).body; });
    services.offer(hub::service::VideoRoomRemoteStop, [this](const Json& request) { return runOnLoop([&] { return Reply{stopRelayForNode(request), {}}; }).body; });
    services.offer(hub::service::VideoRoomRemoteFeed, [this](const Json& request) { return runOnLoop([&] { return Reply{feedFromNode(request), {}}; }).body; });
    services.offer(hub::service::VideoRoomRemoteKeyframe, [this](const Json& request) { return runOnLoop([&] { return Reply{keyframeForNode(request), {}}; }).body; });
    services.offer(hub::service::VideoRoomRemoteRefused, [this](const Json& request) { return runOnLoop([&] { return Reply{refusedByNode(request), {}}; }).body; });
    loop().every(std::chrono::milliseconds(kRelayCheckMs), [this] { checkRelays(); });
}

void VideoRoomPlugin::withdrawRelayServices() {
    for (const char* name : {hub::service::VideoRoomRemoteRelay, hub::service::VideoRoomRemoteStop, hub::service::VideoRoomRemoteFeed, hub::service::VideoRoomRemoteKeyframe, hub::service::VideoRoomRemoteRefused})
        hub::Services::instance().withdraw(name);
}

bool VideoRoomPlugin::knowCluster() {
    if (!selfNode_.empty())
        return true;
    try {
        Json self = hub::Services::instance().call(hub::service::ClusterSelf, Json::object());
        if (!json_is_true(self.member("enabled")))
            return false;
        RequestReader reader(self.get());
        selfNode_ = reader.requireString("node", 64);
        mediaIp_ = reader.requireString("media_ip", 64);
        return true;
    } catch (const std::exception&) {
        return false;  // no cluster plugin (yet): a single node
    }
}

void VideoRoomPlugin::sendToNode(const std::string& node, const char* service, const Json& request) {
    Json message = Json::object();
    message.set("node", node).set("service", service).set("request", request);
    try {
        hub::Services::instance().call(hub::service::ClusterSend, message);
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_WARN, kPackage, "%s to node %s not sent: %s", service, node.c_str(), e.what());
    }
}

// ------------------------------------------------------------------ the receiving node (B)

void VideoRoomPlugin::onRemoteMember(const std::shared_ptr<VideoRoom>& room, const hub::RoomEvent& event) {
    auto [node, feed] = remoteParticipant(event.member);
    if (event.kind == hub::kind::Left && event.plugin == kClusterPlugin) {
        if (feed) {
            room->remoteMembers.erase(feed);
            dropRemoteFeed(room, feed, false);
        }
        // This node's relays to a node that has nobody left in the room stop (it died, or its
        // last participant left without a stop reaching us).
        size_t slash = event.member.find('/', kClusterPlugin.size() + 1);
        if (event.member.rfind(kClusterPlugin + "/", 0) != 0 || slash == std::string::npos)
            return;
        std::string left = event.member.substr(0, slash + 1);  // "janus.plugin.sylk.cluster/<node>/"
        bool anyLeft = false;
        if (room->hubRoom()) {
            for (const auto& member : room->hubRoom()->membersSnapshot().members)
                anyLeft = anyLeft || member.id.rfind(left, 0) == 0;
        }
        if (!anyLeft)
            dropRelaysTo(*room, left.substr(kClusterPlugin.size() + 1, left.size() - kClusterPlugin.size() - 2));
        return;
    }
    if (!feed || (event.kind != hub::kind::Joined && event.kind != hub::kind::Updated))
        return;
    room->remoteMembers[feed] = node;
    if (!room->participants.empty())
        ensureRemoteFeed(room, feed, node);
}

void VideoRoomPlugin::wantRemoteFeeds(const std::shared_ptr<VideoRoom>& room) {
    if (!room->hubRoom() || !knowCluster())
        return;
    for (const auto& member : room->hubRoom()->membersSnapshot().members) {
        auto [node, feed] = remoteParticipant(member.id);
        if (feed)
            room->remoteMembers[feed] = node;
    }
    for (const auto& [feed, node] : room->remoteMembers)
        ensureRemoteFeed(room, feed, node);
}

void VideoRoomPlugin::ensureRemoteFeed(const std::shared_ptr<VideoRoom>& room, uint64_t feed, const std::string& node) {
    if (room->remoteFeeds.count(feed) || room->participants.count(feed) || !knowCluster() || node == selfNode_)
        return;
    auto publisher = std::make_shared<Publisher>(gateway(), nullptr, room, feed, 0, "");
    std::weak_ptr<VideoRoom> weakRoom = room;
    publisher->setKeyframeSink([this, weakRoom, feed, node](int mindex, bool urgent) {
        // A subscriber's thread or the control loop: ask the publisher's node from the loop.
        loop().post([this, weakRoom, feed, node, mindex, urgent] {
            auto room = weakRoom.lock();
            if (!room)
                return;
            auto it = room->remoteFeeds.find(feed);
            if (it == room->remoteFeeds.end())
                return;
            ++it->second->keyframeRequests;
            Json request = Json::object();
            request.set("room", room->id.key).set("feed", static_cast<json_int_t>(feed)).set("mindex", mindex);
            request.setBool("urgent", urgent);
            sendToNode(node, hub::service::VideoRoomRemoteKeyframe, request);
        });
    });
    std::shared_ptr<RemoteFeed> remote;
    try {
        remote = std::make_shared<RemoteFeed>(node, publisher, mediaIp_);
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_ERR, kPackage, "room %s: no relay from node %s: %s", room->id.key.c_str(), node.c_str(), e.what());
        return;
    }
    room->remoteFeeds[feed] = remote;
    room->speakers.push_back(feed);  // last_n subscribers pick among every node's speakers
    askRelay(*room, feed, *remote);
}

bool VideoRoomPlugin::remoteFeedTalking(VideoRoom& room, const hub::RoomEvent& event) {
    auto [node, feed] = remoteParticipant(event.member);
    auto it = feed ? room.remoteFeeds.find(feed) : room.remoteFeeds.end();
    if (it == room.remoteFeeds.end() || it->second->node != node)
        return false;
    auto& publisher = *it->second->feed;
    const bool talking = event.kind == hub::kind::Talking;
    if (publisher.talking != talking)
        noteTalking(room, publisher, talking, std::nullopt);
    return true;
}

void VideoRoomPlugin::askRelay(const VideoRoom& room, uint64_t feed, RemoteFeed& remote) {
    Json request = Json::object();
    request.set("room", room.id.key)
        .set("feed", static_cast<json_int_t>(feed))
        .set("host", mediaIp_)
        .set("port", remote.port());
    remote.askedUs = g_get_monotonic_time();
    sendToNode(remote.node, hub::service::VideoRoomRemoteRelay, request);
    SYLK_LOG(LOG_INFO, kPackage, "room %s: asked node %s to relay feed %llu to %s:%u", room.id.key.c_str(),
             remote.node.c_str(), static_cast<unsigned long long>(feed), mediaIp_.c_str(), remote.port());
}

void VideoRoomPlugin::checkRelays() {
    if (selfNode_.empty())
        return;  // no cluster, or none asked for yet (knowCluster)
    const int64_t now = g_get_monotonic_time();
    const bool describeAgain = ++relayChecks_ % kDescribeEveryChecks == 0;
    for (const auto& [key, room] : rooms_) {
        // Receiving: an ask, or its answer, that never came.
        for (const auto& [feed, remote] : room->remoteFeeds) {
            if (!remote->answered && now - remote->askedUs >= kRelayAnswerUs) {
                ++relaysAskedAgain_;
                askRelay(*room, feed, *remote);
            }
        }
        if (room->relays.empty())
            continue;
        // Publishing: a node's "stop" lost while its video room members are all gone (a node
        // with members left in other plugins sends no "left" that would drop the relays).
        std::set<std::string> watching;
        if (room->hubRoom()) {
            for (const auto& member : room->hubRoom()->membersSnapshot().members) {
                if (auto [node, id] = remoteParticipant(member.id); id)
                    watching.insert(node);
            }
        }
        size_t dropped = std::erase_if(room->relays, [&](const auto& relay) {
            if (relay->node.empty())
                return false;  // an admin relay
            if (watching.count(relay->node)) {
                relay->seenWatching = true;
                return false;
            }
            return relay->seenWatching || now - relay->startedUs >= kRelayYoungUs;
        });
        if (dropped) {
            relaysDroppedStale_ += dropped;
            SYLK_LOG(LOG_INFO, kPackage, "room %s: %zu relays to nodes without video room members stopped",
                     room->id.key.c_str(), dropped);
        }
        if (describeAgain) {
            for (const auto& relay : room->relays)
                sendFeed(*room, *relay);  // a lost publish, renegotiation or unpublish
        }
    }
}

void VideoRoomPlugin::dropRemoteFeed(const std::shared_ptr<VideoRoom>& room, uint64_t feed, bool tellNode) {
    auto it = room->remoteFeeds.find(feed);
    if (it == room->remoteFeeds.end())
        return;
    auto remote = it->second;
    unpublishStreams(remote->feed);  // our subscribers' slots go, everyone gets "unpublished"
    room->remoteFeeds.erase(it);
    std::erase(room->speakers, feed);
    if (tellNode) {
        Json request = Json::object();
        request.set("room", room->id.key).set("feed", static_cast<json_int_t>(feed));
        sendToNode(remote->node, hub::service::VideoRoomRemoteStop, request);
    }
}

void VideoRoomPlugin::dropRemoteFeeds(const std::shared_ptr<VideoRoom>& room) {
    std::vector<uint64_t> feeds;
    for (const auto& [feed, remote] : room->remoteFeeds)
        feeds.push_back(feed);
    for (uint64_t feed : feeds)
        dropRemoteFeed(room, feed, true);
}

Json VideoRoomPlugin::feedFromNode(const Json& message) {
    RequestReader reader(message.get());
    auto room = findRoom(RoomId::fromString(reader.requireString("room", 256)));
    auto feed = static_cast<uint64_t>(reader.requireInt("feed", 1, kMaxId));
    std::string node = reader.requireString("from_node", 64);
    std::string host = reader.requireString("host", 64);
    std::string display = reader.optionalString("display", 256).value_or("");
    json_t* list = reader.optionalArray("streams", 64);
    if (!list)
        throw RequestError(ErrorCode::MissingField, "missing field 'streams'");
    auto it = room ? room->remoteFeeds.find(feed) : decltype(room->remoteFeeds)::iterator{};
    if (!room || it == room->remoteFeeds.end() || it->second->node != node)
        return Json::object().setBool("taken", false);  // stopped meanwhile
    auto remote = it->second;
    auto publisher = remote->feed;
    remote->answered = true;
    std::vector<std::shared_ptr<PublishedStream>> streams;
    std::array<bool, 128> video{}, known{};
    for (const auto& described : parseRemoteStreams(list)) {
        auto stream = std::make_shared<PublishedStream>();
        stream->mindex = described.mindex;
        stream->mid = described.mid;
        stream->kind = kindNamed(described.type);
        stream->codec = described.codec;
        stream->pt = described.pt;
        stream->description = described.description;
        if (stream->kind == MediaKind::Video)
            stream->videoCodec = janus::videoCodecFromName(stream->codec.c_str());
        if (auto previous = publisher->findStream(stream->mid); previous && previous->codec == stream->codec)
            stream->targets.store(previous->targets.load());  // a renegotiation keeps subscribers
        video[static_cast<size_t>(stream->mindex)] = stream->kind == MediaKind::Video;
        known[static_cast<size_t>(stream->mindex)] = stream->kind != MediaKind::Data;
        streams.push_back(std::move(stream));
    }
    if (streams.empty()) {
        remote->accept(host, video, known);
        if (publisher->publishing())
            unpublishStreams(publisher);
        return Json::object().setBool("taken", true);
    }
    if (publisher->active && publisher->display == display && sameStreams(publisher->streams(), streams)) {
        remote->accept(host, video, known);  // described again (checkRelays): nothing new to announce
        return Json::object().setBool("taken", true);
    }
    publisher->display = display;
    publisher->setStreams(std::move(streams));
    remote->accept(host, video, known);
    publisher->active = true;
    announcePublisher(publisher);
    return Json::object().setBool("taken", true);
}

Json VideoRoomPlugin::refusedByNode(const Json& message) {
    RequestReader reader(message.get());
    auto room = findRoom(RoomId::fromString(reader.requireString("room", 256)));
    auto feed = static_cast<uint64_t>(reader.requireInt("feed", 1, kMaxId));
    std::string error = reader.optionalString("error", 512).value_or("");
    ++relaysRefused_;
    SYLK_LOG(LOG_WARN, kPackage, "node %s refused to relay feed %llu: %s",
             reader.optionalString("from_node", 64).value_or("?").c_str(), static_cast<unsigned long long>(feed),
             error.c_str());
    if (room)
        dropRemoteFeed(room, feed, false);
    return Json::object();
}

// ------------------------------------------------------------------ the publishing node (A)

std::shared_ptr<FeedRelay> VideoRoomPlugin::startRelay(const std::shared_ptr<VideoRoom>& room, uint64_t feed,
                                                       const std::string& node, const std::string& host, uint16_t port) {
    auto publisher = room->findParticipant(feed);
    if (!publisher)
        throw RequestError(ErrorCode::VideoRoomNoSuchFeed, "no such feed (" + std::to_string(feed) + ") in room '" + room->id.key + "'");
    std::shared_ptr<UdpSender> sender;
    try {
        // From this node's media address: the receiver takes no other (RemoteFeed).
        sender = std::make_shared<UdpSender>(host, port, node.empty() ? "" : mediaIp_);
    } catch (const std::exception& e) {
        throw RequestError(ErrorCode::InvalidField, e.what());
    }
    // One relay per feed and receiver: a repeated request (the receiver restarted its socket)
    // replaces the previous one.
    std::erase_if(room->relays, [&](const auto& relay) {
        return !node.empty() && relay->feed == feed && relay->node == node;
    });
    auto relay = std::make_shared<FeedRelay>(node, publisher, std::move(sender));
    room->relays.push_back(relay);
    relay->attach();
    return relay;
}

Json VideoRoomPlugin::relayForNode(const Json& message) {
    RequestReader reader(message.get());
    std::string roomKey = reader.requireString("room", 256);
    auto feed = static_cast<uint64_t>(reader.requireInt("feed", 1, kMaxId));
    std::string node = reader.requireString("from_node", 64);
    try {
        std::string host = reader.requireString("host", 64);
        auto port = static_cast<uint16_t>(reader.requireInt("port", 1, 65535));
        auto room = findRoom(RoomId::fromString(roomKey));
        if (!room)
            throw RequestError(ErrorCode::VideoRoomNoSuchRoom, "no such room '" + roomKey + "'");
        auto relay = startRelay(room, feed, node, host, port);
        sendFeed(*room, *relay);
        SYLK_LOG(LOG_INFO, kPackage, "room %s: relaying feed %llu to node %s (%s:%u)", roomKey.c_str(),
                 static_cast<unsigned long long>(feed), node.c_str(), host.c_str(), port);
        return Json::object().setBool("relaying", true);
    } catch (const RequestError& e) {
        // The asker used cluster.send, which drops this answer: tell it with a message of its own.
        Json refusal = Json::object();
        refusal.set("room", roomKey).set("feed", static_cast<json_int_t>(feed)).set("error", e.what()).set("code", static_cast<int>(e.code()));
        sendToNode(node, hub::service::VideoRoomRemoteRefused, refusal);
        throw;
    }
}

Json VideoRoomPlugin::stopRelayForNode(const Json& message) {
    RequestReader reader(message.get());
    auto room = findRoom(RoomId::fromString(reader.requireString("room", 256)));
    auto feed = static_cast<uint64_t>(reader.requireInt("feed", 1, kMaxId));
    std::string node = reader.requireString("from_node", 64);
    size_t stopped = room ? std::erase_if(room->relays, [&](const auto& relay) { return relay->feed == feed && relay->node == node; }) : 0;
    return Json::object().set("stopped", static_cast<json_int_t>(stopped));
}

Json VideoRoomPlugin::keyframeForNode(const Json& message) {
    RequestReader reader(message.get());
    auto room = findRoom(RoomId::fromString(reader.requireString("room", 256)));
    auto feed = static_cast<uint64_t>(reader.requireInt("feed", 1, kMaxId));
    int mindex = static_cast<int>(reader.requireInt("mindex", 0, 63));
    std::string node = reader.requireString("from_node", 64);
    auto publisher = room ? room->findParticipant(feed) : nullptr;
    if (!publisher)
        return Json::object().setBool("asked", false);
    for (const auto& relay : room->relays) {
        if (relay->feed == feed && relay->node == node)
            ++relay->keyframeRequests;
    }
    // Urgent: a subscriber there just started (or switched) and shows nothing until it comes.
    // The asking node throttled the others already, as a local publisher does its subscribers'.
    publisher->requestKeyframe(mindex, reader.optionalBool("urgent").value_or(false));
    return Json::object().setBool("asked", true);
}

void VideoRoomPlugin::sendFeed(const VideoRoom& room, const FeedRelay& relay) {
    if (relay.node.empty())
        return;  // an admin relay to a plain address: nobody to tell
    Json request = relay.feedDescription();
    request.set("room", room.id.key).set("feed", static_cast<json_int_t>(relay.feed)).set("host", mediaIp_);
    sendToNode(relay.node, hub::service::VideoRoomRemoteFeed, request);
}

void VideoRoomPlugin::relayPublished(const std::shared_ptr<Publisher>& publisher) {
    if (publisher->remote())
        return;
    for (const auto& relay : publisher->room->relays) {
        if (relay->feed != publisher->id)
            continue;
        relay->attach();
        sendFeed(*publisher->room, *relay);
    }
}

void VideoRoomPlugin::relayUnpublished(const std::shared_ptr<Publisher>& publisher) {
    if (publisher->remote())
        return;
    for (const auto& relay : publisher->room->relays) {
        if (relay->feed != publisher->id || !relay->attached())
            continue;
        relay->detach();
        sendFeed(*publisher->room, *relay);
    }
}

void VideoRoomPlugin::dropRelaysOf(VideoRoom& room, uint64_t feed) {
    std::erase_if(room.relays, [&](const auto& relay) { return relay->feed == feed; });
}

void VideoRoomPlugin::dropRelaysTo(VideoRoom& room, const std::string& node) {
    size_t dropped = std::erase_if(room.relays, [&](const auto& relay) { return !node.empty() && relay->node == node; });
    if (dropped)
        SYLK_LOG(LOG_INFO, kPackage, "room %s: node %s has left, %zu relays to it stopped", room.id.key.c_str(),
                 node.c_str(), dropped);
}

// ------------------------------------------------------------------ admin API

Reply VideoRoomPlugin::adminRelay(RequestReader& reader, const Request&) {
    RoomId id = RoomId::read(reader);
    auto feed = static_cast<uint64_t>(reader.requireInt("feed", 1, kMaxId));
    std::string host = reader.requireString("host", 64);
    auto port = static_cast<uint16_t>(reader.requireInt("port", 1, 65535));
    auto room = findRoom(id);
    if (!room)
        throw RequestError(ErrorCode::VideoRoomNoSuchRoom, "no such room '" + id.key + "'");
    auto relay = startRelay(room, feed, "", host, port);
    Json body = Json::object();
    body.set("videoroom", "relaying").set("room", room->id.value).set("relay", relay->describe());
    return Reply{body, {}};
}

Reply VideoRoomPlugin::adminListRelays(RequestReader&, const Request&) {
    Json rooms = Json::array();
    for (const auto& [key, room] : rooms_) {
        if (room->relays.empty() && room->remoteFeeds.empty())
            continue;
        Json relays = Json::array();
        for (const auto& relay : room->relays)
            relays.append(relay->describe());
        Json remote = Json::array();
        for (const auto& [feed, feedRelay] : room->remoteFeeds)
            remote.append(feedRelay->describe());
        rooms.append(Json::object().set("room", room->id.value).set("relays", relays).set("remote_feeds", remote));
    }
    Json body = Json::object();
    body.set("videoroom", "relays")
        .set("node", selfNode_)
        .set("media_ip", mediaIp_)
        .set("refused", static_cast<json_int_t>(relaysRefused_))
        .set("asked_again", static_cast<json_int_t>(relaysAskedAgain_))
        .set("dropped_stale", static_cast<json_int_t>(relaysDroppedStale_))
        .set("rooms", rooms);
    return Reply{body, {}};
}

}  // namespace sylk::videoroom
