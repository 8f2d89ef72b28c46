// The audio bridge of janus.plugin.sylk.audiomixer to the video room of the same name (docs/
// architecture.md, "Web users and phones hear each other"; the mixing rule is WebBridge's).
//
// The video room drives it: it opens the bridge when its room has web publishers with audio
// and this mixer has participants there, adds and removes its publishers' audio as they come
// and go, and closes it when either side is gone. These services run on this loop
// (runOnLoop) and never call the video room back, so the video room may call them from its
// own loop: only one of the two loops ever waits on the other.
//
//   audiomixer.bridge.open        {"room", "rtp": {"ip", "port", "payload_type"?}}
//                              -> {"room", "bridge", "rtp": {"ip", "port"}} (where the web mix comes from)
//   audiomixer.bridge.check       {"room", "bridge"} -> {"open": bool}: is that bridge still the
//                                 room's (a room that ended and came back has none, or another)
//   audiomixer.bridge.add_feed    {"room", "feed", "payload_type", "relayed"?} -> {"rtp": {"ip", "port"}}
//                                 (relayed: a page of another node, never sent on a leg)
//   audiomixer.bridge.remove_feed {"room", "feed"} -> {"removed": bool}
//   audiomixer.bridge.close       {"room"} -> {"closed": bool}
//
// A room without participants here has nothing to bridge: open and add_feed refuse it (485).
// The bridge goes with the room when its last participant leaves.
#include "audiomixer_common.hpp"
#include "audiomixer_plugin.hpp"

#include "sylkcore/hub/services.hpp"
#include "sylkcore/hub/service_names.hpp"
#include "sylkcore/log.hpp"

namespace sylk::audiomixer {
namespace {

constexpr const char* kBridgeServices[] = {hub::service::AudioMixerBridgeOpen, hub::service::AudioMixerBridgeAddFeed,
                                           hub::service::AudioMixerBridgeRemoveFeed, hub::service::AudioMixerBridgeClose,
                                           hub::service::AudioMixerBridgeCheck};

}  // namespace

void AudioMixerPlugin::offerBridgeServices() {
    auto& services = hub::Services::instance();
    services.offer(hub::service::AudioMixerBridgeOpen, [this](const Json& request) { return openWebBridge(request); });
    services.offer(hub::service::AudioMixerBridgeAddFeed, [this](const Json& request) { return addWebFeed(request); });
    services.offer(hub::service::AudioMixerBridgeRemoveFeed, [this](const Json& request) { return removeWebFeed(request); });
    services.offer(hub::service::AudioMixerBridgeClose, [this](const Json& request) { return closeWebBridge(request); });
    services.offer(hub::service::AudioMixerBridgeCheck, [this](const Json& request) { return checkWebBridge(request); });
}

void AudioMixerPlugin::withdrawBridgeServices() {
    for (const char* name : kBridgeServices)
        hub::Services::instance().withdraw(name);
}

AudioMixerPlugin::Room& AudioMixerPlugin::bridgedRoom(const std::string& key) {
    Room* room = findRoom(key);
    if (!room || !room->mixesHere())
        throw RequestError(ErrorCode::AudioMixerNoSuchRoom, "no such room '" + key + "' (no audio participants here)");
    return *room;
}

AudioMixerPlugin::Room& AudioMixerPlugin::roomForBridge(const std::string& key) {
    if (Room* room = findRoom(key))
        return *room;
    // Pages here, phones on another node only (the video room counts their hub members): a room
    // for the bridge alone, which hears those phones through its leg to their node and closes
    // with the bridge (closeWebBridge).
    if (!cluster_.known) {  // a bridge before the dialer's first tick: learn it now
        if (auto self = askClusterSelf())
            learnClusterSelf(*self);
    }
    if (!createOnDemand_ || !cluster_.enabled)
        throw RequestError(ErrorCode::AudioMixerNoSuchRoom, "no such room '" + key + "' (no audio participants here)");
    MixRoomSettings settings = defaults_;
    settings.onDemand = true;
    return makeRoom(key, settings);
}

std::unique_ptr<RtpEndpoint> AudioMixerPlugin::bridgeEndpoint(RequestReader& rtp) {
    std::string ip = rtp.requireString("ip", 64);
    auto port = static_cast<uint16_t>(rtp.requireInt("port", 1, 65535));
    const std::string& local = ip.find(':') != std::string::npos ? rtpAddressV6_ : rtpAddress_;
    try {
        return std::make_unique<RtpEndpoint>(local, ip, port);
    } catch (const std::exception& e) {
        throw RequestError(ErrorCode::AudioMixerRtpUnavailable, e.what());
    }
}

Json AudioMixerPlugin::openWebBridge(const Json& request) {
    return runOnLoop([&] {
        RequestReader reader(request.get());
        std::string key = roomKey(reader);
        json_t* rtpObject = reader.optionalObject("rtp");
        if (!rtpObject)
            throw RequestError(ErrorCode::MissingField, "missing 'rtp' ({\"ip\", \"port\"}: where to send the web mix)");
        RequestReader rtp(rtpObject);
        // The video room's mix feed takes the payload type as its m-line index.
        const int payloadType = static_cast<int>(rtp.optionalInt("payload_type", 0, 127).value_or(0));
        Room& room = roomForBridge(key);
        auto endpoint = bridgeEndpoint(rtp);
        RtpEndpoint* socket = endpoint.get();
        auto output = std::make_shared<MixParticipant>(randomId(), "web mix", audio::CodecId::Opus, payloadType,
                                                       room.mixer->settings.sampleRate, std::move(endpoint));
        auto bridge = std::make_shared<WebBridge>(output);
        // A second open (the video room lost track of its bridge) starts over: its feeds are
        // added again by the video room.
        const bool reopened = room.mixer->webBridge() != nullptr;
        room.mixer->setWebBridge(bridge);
        refreshClock();  // a room with the bridge alone ticks too
        loop().post([this, key] { reconcileLegs(key); });  // now mixing here: legs to the phones' nodes
        ++bridgeCounters_.opened;
        SYLK_LOG(LOG_INFO, kPackage, "room %s: %s the audio bridge to the video room (web mix to port %d)",
                 key.c_str(), reopened ? "reopening" : "opening", static_cast<int>(rtp.requireInt("port", 1, 65535)));
        Json local = Json::object();
        local.set("ip", socket->localAddress()).set("port", socket->localPort());
        Json reply = Json::object();
        reply.set("room", roomValue(key)).set("bridge", static_cast<json_int_t>(output->id)).set("rtp", local);
        return Reply{reply, {}};
    }).body;
}

Json AudioMixerPlugin::addWebFeed(const Json& request) {
    return runOnLoop([&] {
        RequestReader reader(request.get());
        std::string key = roomKey(reader);
        auto feed = static_cast<uint64_t>(reader.requireInt("feed", 1, kMaxId));
        const int payloadType = static_cast<int>(reader.requireInt("payload_type", 0, 127));
        Room& room = bridgedRoom(key);
        auto bridge = room.mixer->webBridge();
        if (!bridge)
            throw RequestError(ErrorCode::WrongState, "room '" + key + "' has no audio bridge (audiomixer.bridge.open first)");
        // The video room's relay sends from a socket of its own, on this host: this input takes
        // packets from this host only (RtpEndpoint). It never sends (the mix goes out through
        // the bridge's output), so its peer is the discard port.
        std::unique_ptr<RtpEndpoint> endpoint;
        try {
            endpoint = std::make_unique<RtpEndpoint>(rtpAddress_, rtpAddress_, 9);
        } catch (const std::exception& e) {
            throw RequestError(ErrorCode::AudioMixerRtpUnavailable, e.what());
        }
        RtpEndpoint* socket = endpoint.get();
        auto input = std::make_shared<MixParticipant>(feed, "web " + std::to_string(feed), audio::CodecId::Opus,
                                                      payloadType, room.mixer->settings.sampleRate, std::move(endpoint));
        // A page of another node whose feed the video room relays here: for our participants
        // only, never on a leg (its node's leg carries it).
        input->relayedFeed = reader.optionalBool("relayed").value_or(false);
        bridge->addFeed(input);
        ++bridgeCounters_.feedsAdded;
        Json local = Json::object();
        local.set("ip", socket->localAddress()).set("port", socket->localPort());
        Json reply = Json::object();
        reply.set("room", roomValue(key)).set("feed", static_cast<json_int_t>(feed)).set("rtp", local);
        return Reply{reply, {}};
    }).body;
}

Json AudioMixerPlugin::removeWebFeed(const Json& request) {
    return runOnLoop([&] {
        RequestReader reader(request.get());
        std::string key = roomKey(reader);
        auto feed = static_cast<uint64_t>(reader.requireInt("feed", 1, kMaxId));
        Room* room = findRoom(key);
        auto bridge = room ? room->mixer->webBridge() : nullptr;
        bool removed = bridge && bridge->removeFeed(feed);
        Json reply = Json::object();
        reply.setBool("removed", removed);
        return Reply{reply, {}};
    }).body;
}

Json AudioMixerPlugin::closeWebBridge(const Json& request) {
    return runOnLoop([&] {
        RequestReader reader(request.get());
        std::string key = roomKey(reader);
        Room* room = findRoom(key);
        bool closed = room && room->mixer->webBridge();
        if (closed) {
            room->mixer->setWebBridge(nullptr);  // the mixer thread lets go of it after its tick
            ++bridgeCounters_.closed;
            SYLK_LOG(LOG_INFO, kPackage, "room %s: audio bridge to the video room closed", key.c_str());
            if (room->unused()) {
                closeRoom(key);  // it had the bridge alone (or its last phone left before)
            } else {
                refreshClock();
                loop().post([this, key] { reconcileLegs(key); });
            }
        }
        Json reply = Json::object();
        reply.setBool("closed", closed);
        return Reply{reply, {}};
    }).body;
}

Json AudioMixerPlugin::checkWebBridge(const Json& request) {
    return runOnLoop([&] {
        RequestReader reader(request.get());
        std::string key = roomKey(reader);
        auto bridgeId = static_cast<uint64_t>(reader.requireInt("bridge", 1, kMaxId));
        Room* room = findRoom(key);
        auto bridge = room ? room->mixer->webBridge() : nullptr;
        Json reply = Json::object();
        reply.setBool("open", bridge && bridge->output().id == bridgeId);
        return Reply{reply, {}};
    }).body;
}

Json AudioMixerPlugin::bridgeStatus(const MixRoom& mixer) {
    auto bridge = mixer.webBridge();
    if (!bridge)
        return Json();
    Json feeds = Json::array();
    for (const auto& feed : *bridge->feeds())
        feeds.append(feed->describe().setBool("relayed", feed->relayedFeed.load()));
    Json json = Json::object();
    json.set("web_feeds", feeds)
        .set("mixes_sent", static_cast<json_int_t>(bridge->mixesSent.load()))
        .set("mix_packets_out", static_cast<json_int_t>(bridge->output().stats.packetsOut.load()));
    return json;
}

Json AudioMixerPlugin::bridgeCountersJson() const {
    size_t open = 0;
    for (const auto& [key, room] : rooms_)
        open += room.mixer->webBridge() != nullptr;
    Json json = Json::object();
    json.set("open", static_cast<json_int_t>(open))
        .set("opened", static_cast<json_int_t>(bridgeCounters_.opened))
        .set("closed", static_cast<json_int_t>(bridgeCounters_.closed))
        .set("feeds_added", static_cast<json_int_t>(bridgeCounters_.feedsAdded));
    return json;
}

}  // namespace sylk::audiomixer
