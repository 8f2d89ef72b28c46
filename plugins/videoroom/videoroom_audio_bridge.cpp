// The room audio bridge (docs/architecture.md, "Web users and phones hear each other"): web
// users of a video room and the audio mixer's participants of the room of the same name (phones
// called in by the SIP focus, Jingle callers, mixer WebRTC users) hear each other.
//
// This side drives it, on its control loop, through the mixer's hub services
// (audiomixer.bridge.*, audiomixer_bridge.cpp). Those run on the mixer's loop and never call
// back here, so waiting for them from this loop cannot deadlock; the mixer learns nothing
// from us any other way. A bridge exists only while the room has both local publishers with
// audio and mixer participants in its hub room: a room without phones costs nothing.
//
// - Each local publisher's audio stream goes to the mixer as a web feed: a FeedRelay of the
//   audio stream only, to a plain RTP input of the mixer (payload type = the m-line index).
// - The mixer sends one Opus "web mix" (its participants and remote legs, never the web
//   feeds) to an audio-only RemoteFeed of this room, announced in "publishers" with
//   "audio_mix": true and the display "<room> (phones)". Pages subscribe to it like any feed.
// The mix feed has no talk detection: the mixer already posts its participants' talking to the
// hub. Another node's phones count as the room's phones: the mixer then keeps a room for the
// bridge alone and hears them through its leg to that node. Feeds relayed here from other
// nodes' pages are bridged too ("relayed": our phones hear them; the mixer never sends them on
// a leg): a node with pages is sent no pages on the legs, as its pages hear the others through
// the SFU (docs/cluster.md, "Pages and phones on different nodes").
//
// The bridge opens while the room has phones and participants here, publishing or not: a
// listen-only page hears the phones through the mix feed as any other page does.
#include <glib.h>

#include "publisher.hpp"
#include "room.hpp"
#include "room_audio_bridge.hpp"
#include "subscriber.hpp"
#include "sylkcore/cluster/member_id.hpp"
#include "sylkcore/hub/services.hpp"
#include "sylkcore/hub/service_names.hpp"
#include "sylkcore/log.hpp"
#include "videoroom_common.hpp"
#include "videoroom_plugin.hpp"
#include "videoroom_requests.hpp"

namespace sylk::videoroom {
namespace {

constexpr const char* kMixerPackage = "janus.plugin.sylk.audiomixer";
constexpr const char* kMixerPrefix = "janus.plugin.sylk.audiomixer/";
// The mix feed's single stream: m-line 0 (the payload type the mixer sends with, as
// RemoteFeed routes by it), Opus as every browser takes it.
constexpr int kMixMindex = 0;
constexpr int kOpusPayloadType = 111;
// The mixer's RTP and the video room are in one Janus process: loopback between them.
constexpr const char* kBridgeHost = "127.0.0.1";

// The publisher's audio stream the mixer can take (Opus), if any: a local publisher's or one
// relayed from another node.
std::shared_ptr<PublishedStream> bridgedAudio(const Publisher& publisher) {
    if (!publisher.active || publisher.audioMix)
        return nullptr;
    for (const auto& stream : publisher.streams()) {
        if (stream->kind == MediaKind::Audio && stream->codec == "opus")
            return stream;
    }
    return nullptr;
}

}  // namespace

bool VideoRoomPlugin::isMixerMember(const std::string& memberId) {
    // Ours, or another node's phone (mirrored by the cluster's hub bridge): our bridge opens for
    // it too, and our mixer hears it through its leg to that node (docs/cluster.md).
    return memberId.rfind(kMixerPrefix, 0) == 0 || !cluster::nodeOfMember(memberId, kMixerPackage).empty();
}

void VideoRoomPlugin::reconcileAudioBridge(const std::shared_ptr<VideoRoom>& room, bool phoneJoined) {
    if (!hub::Services::instance().offered(hub::service::AudioMixerBridgeOpen) || findRoom(room->id) != room)
        return;  // no audio mixer loaded, or a room that is closing
    bool phones = false;
    if (room->hubRoom()) {
        for (const auto& member : room->hubRoom()->membersSnapshot().members)
            phones = phones || isMixerMember(member.id);
    }
    std::map<uint64_t, std::shared_ptr<PublishedStream>> web;
    for (const auto& [id, publisher] : room->participants) {
        if (auto audio = bridgedAudio(*publisher))
            web[id] = audio;
    }
    for (const auto& [id, remote] : room->remoteFeeds) {
        if (auto audio = bridgedAudio(*remote->feed))
            web[id] = audio;
    }
    if (!phones || room->participants.empty()) {
        if (room->audioBridge)
            closeAudioBridge(room, true);
        return;
    }
    if (room->audioBridge && phoneJoined && !mixerHasBridge(*room)) {
        // The mixer's room ended (its last phone left) and came back with this phone before we
        // saw the leave: our bridge points at what is gone. Start over.
        closeAudioBridge(room, false);
    }
    if (!room->audioBridge && !openAudioBridge(room))
        return;
    auto bridge = room->audioBridge;
    // Publishers gone (or no longer sending audio): out of the mixer.
    for (auto it = bridge->feeds.begin(); it != bridge->feeds.end();) {
        auto wanted = web.find(it->first);
        if (wanted != web.end() && wanted->second->mindex == it->second.mindex) {
            if (!it->second.relay->attached())
                it->second.relay->attach();  // renegotiated: hook the new streams
            ++it;
            continue;
        }
        Json request = Json::object();
        request.set("room", room->id.key).set("feed", static_cast<json_int_t>(it->first));
        try {
            hub::Services::instance().call(hub::service::AudioMixerBridgeRemoveFeed, request);
        } catch (const std::exception& e) {
            SYLK_LOG(LOG_WARN, kPackage, "room %s: %s: %s", room->id.key.c_str(), hub::service::AudioMixerBridgeRemoveFeed, e.what());
        }
        it = bridge->feeds.erase(it);  // the relay stops sending as it goes
    }
    // New publishers: into the mixer.
    for (const auto& [id, audio] : web) {
        if (bridge->feeds.count(id))
            continue;
        auto publisher = room->findFeed(id);
        Json request = Json::object();
        request.set("room", room->id.key).set("feed", static_cast<json_int_t>(id)).set("payload_type", audio->mindex);
        request.setBool("relayed", publisher->remote());
        try {
            Json answer = hub::Services::instance().call(hub::service::AudioMixerBridgeAddFeed, request);
            RequestReader reader(answer.get());
            json_t* rtpObject = reader.optionalObject("rtp");
            if (!rtpObject)
                throw RequestError(ErrorCode::MissingField, "the mixer's answer has no 'rtp'");
            RequestReader rtp(rtpObject);
            std::string host = rtp.requireString("ip", 64);
            auto port = static_cast<uint16_t>(rtp.requireInt("port", 1, 65535));
            auto relay = std::make_shared<FeedRelay>("audiomixer", publisher, std::make_shared<UdpSender>(host, port), true);
            relay->attach();
            bridge->feeds[id] = RoomAudioBridge::WebFeed{relay, audio->mindex};
        } catch (const std::exception& e) {
            // The mixer's room ended meanwhile (its last phone left): its "left" event comes
            // next and closes the bridge.
            ++audioBridgeFailures_;
            lastAudioBridgeError_ = room->id.key + ": " + e.what();
            SYLK_LOG(LOG_WARN, kPackage, "room %s: feed %llu not bridged to the mixer: %s", room->id.key.c_str(),
                     static_cast<unsigned long long>(id), e.what());
        }
    }
}

bool VideoRoomPlugin::mixerHasBridge(const VideoRoom& room) {
    Json request = Json::object();
    request.set("room", room.id.key).set("bridge", static_cast<json_int_t>(room.audioBridge->mixerBridge));
    try {
        return json_is_true(hub::Services::instance().call(hub::service::AudioMixerBridgeCheck, request).member("open"));
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_WARN, kPackage, "room %s: %s: %s", room.id.key.c_str(), hub::service::AudioMixerBridgeCheck, e.what());
        return false;
    }
}

bool VideoRoomPlugin::openAudioBridge(const std::shared_ptr<VideoRoom>& room) {
    uint64_t id = newParticipantId(*room);
    while (room->remoteFeeds.count(id))
        id = newParticipantId(*room);
    auto publisher = std::make_shared<Publisher>(gateway(), nullptr, room, id, 0, room->id.key + " (phones)");
    publisher->audioMix = true;
    publisher->setKeyframeSink([](int, bool) {});  // audio only: no keyframes to ask for
    std::shared_ptr<RemoteFeed> mix;
    uint64_t mixerBridge = 0;
    try {
        mix = std::make_shared<RemoteFeed>("audiomixer", publisher, kBridgeHost);
        Json rtp = Json::object();
        rtp.set("ip", kBridgeHost).set("port", mix->port()).set("payload_type", kMixMindex);
        Json request = Json::object();
        request.set("room", room->id.key).set("rtp", rtp);
        Json answer = hub::Services::instance().call(hub::service::AudioMixerBridgeOpen, request);
        RequestReader reader(answer.get());
        json_t* rtpObject = reader.optionalObject("rtp");
        if (!rtpObject)
            throw RequestError(ErrorCode::MissingField, "the mixer's answer has no 'rtp'");
        RequestReader from(rtpObject);
        std::string mixerHost = from.requireString("ip", 64);
        mixerBridge = static_cast<uint64_t>(reader.requireInt("bridge", 1, kMaxId));
        std::array<bool, 128> video{}, known{};
        known[kMixMindex] = true;
        mix->accept(mixerHost, video, known);
    } catch (const std::exception& e) {
        ++audioBridgeFailures_;
        lastAudioBridgeError_ = room->id.key + ": " + e.what();
        SYLK_LOG(LOG_WARN, kPackage, "room %s: no audio bridge to the mixer: %s", room->id.key.c_str(), e.what());
        return false;
    }
    auto stream = std::make_shared<PublishedStream>();
    stream->mindex = kMixMindex;
    stream->mid = std::to_string(kMixMindex);
    stream->kind = MediaKind::Audio;
    stream->codec = "opus";
    stream->pt = kOpusPayloadType;
    stream->description = "phones";
    publisher->setStreams({stream});
    publisher->active = true;
    room->audioBridge = std::make_shared<RoomAudioBridge>(mix, mixerBridge);
    ++audioBridgesOpened_;
    SYLK_LOG(LOG_INFO, kPackage, "room %s: audio bridge to the mixer open (mix feed %llu)", room->id.key.c_str(),
             static_cast<unsigned long long>(id));
    announcePublisher(publisher);
    return true;
}

void VideoRoomPlugin::closeAudioBridge(const std::shared_ptr<VideoRoom>& room, bool tellMixer) {
    auto bridge = std::move(room->audioBridge);
    room->audioBridge.reset();
    if (!bridge)
        return;
    bridge->feeds.clear();  // the relays stop sending
    // Subscribers' slots go and everyone gets "unpublished", as when a publisher stops.
    // audioBridge is reset first: unpublishStreams must not see it as the room's.
    if (bridge->mix->feed->active)
        unpublishStreams(bridge->mix->feed);
    ++audioBridgesClosed_;
    SYLK_LOG(LOG_INFO, kPackage, "room %s: audio bridge to the mixer closed", room->id.key.c_str());
    if (!tellMixer || !hub::Services::instance().offered(hub::service::AudioMixerBridgeClose))
        return;
    Json request = Json::object();
    request.set("room", room->id.key);
    try {
        hub::Services::instance().call(hub::service::AudioMixerBridgeClose, request);
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_WARN, kPackage, "room %s: %s: %s", room->id.key.c_str(), hub::service::AudioMixerBridgeClose, e.what());
    }
}

Reply VideoRoomPlugin::adminListAudioBridges(RequestReader& reader, const Request&) {
    // {"room"?}: that room's bridge (a room that does not exist is an error), or every bridge.
    Json rooms = Json::array();
    if (reader.optionalRaw("room")) {
        RoomId id = RoomId::read(reader);
        auto room = findRoom(id);
        if (!room)
            throw RequestError(ErrorCode::VideoRoomNoSuchRoom, "no such room '" + id.key + "'");
        Json entry = room->audioBridge ? room->audioBridge->describe() : Json::object();
        entry.set("room", room->id.value).setBool("bridged", room->audioBridge != nullptr);
        rooms.append(entry);
    } else {
        for (const auto& [key, room] : rooms_) {
            if (!room->audioBridge)
                continue;
            Json entry = room->audioBridge->describe();
            entry.set("room", room->id.value).setBool("bridged", true);
            rooms.append(entry);
        }
    }
    Json body = Json::object();
    body.set("videoroom", "audio_bridges")
        .set("rooms", rooms)
        .set("opened", static_cast<json_int_t>(audioBridgesOpened_))
        .set("closed", static_cast<json_int_t>(audioBridgesClosed_))
        .set("failures", static_cast<json_int_t>(audioBridgeFailures_));
    if (!lastAudioBridgeError_.empty())
        body.set("last_error", lastAudioBridgeError_);
    return Reply{body, {}};
}

}  // namespace sylk::videoroom
