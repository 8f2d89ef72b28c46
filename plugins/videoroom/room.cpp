#include "room.hpp"

#include <algorithm>

#include "sylkcore/janus/codecs.hpp"
#include "sylkcore/request_error.hpp"

#include "feed_relay.hpp"
#include "publisher.hpp"
#include "remote_feed.hpp"
#include "room_audio_bridge.hpp"
#include "subscriber.hpp"

namespace sylk::videoroom {
namespace {
constexpr const char* kHubPlugin = "janus.plugin.sylk.videoroom";  // as the plugin's kPackage
}  // namespace

std::vector<std::string> parseCodecList(const std::string& list, bool video) {
    std::vector<std::string> codecs;
    gchar** parts = g_strsplit(list.c_str(), ",", -1);
    for (gchar** part = parts; *part; ++part) {
        std::string codec = g_strstrip(*part);
        if (codec.empty())
            continue;
        bool known = video ? janus::knownVideoCodec(codec.c_str())
                           : janus::knownAudioCodec(codec.c_str());
        if (!known) {
            g_strfreev(parts);
            throw RequestError(ErrorCode::InvalidField, std::string("unknown ") + (video ? "video" : "audio") + " codec '" + codec + "'");
        }
        codecs.push_back(codec);
    }
    g_strfreev(parts);
    return codecs;
}

static std::string joinCodecs(const std::vector<std::string>& codecs) {
    std::string out;
    for (const auto& codec : codecs)
        out += (out.empty() ? "" : ",") + codec;
    return out;
}

VideoRoom::VideoRoom(RoomId roomId, RoomSettings roomSettings, HubEventHandler onHubEvent)
    : id(std::move(roomId)), settings(std::move(roomSettings)), onHubEvent_(std::move(onHubEvent)) {}

VideoRoom::~VideoRoom() = default;

void VideoRoom::openHub() {
    hubRoom_ = hub::Hub::instance().open(id.key);
    hubRoom_->keepHistory(settings.historySize);
    subscription_ = hubRoom_->subscribe(shared_from_this());
    hubRoom_->setPin(kHubPlugin, settings.pin);  // the room's PIN guards the other plugins' ways in too
}

void VideoRoom::closeHub() {
    subscription_.reset();
    if (hubRoom_) {
        hubRoom_->setPin(kHubPlugin, "");
        hubRoom_.reset();
        hub::Hub::instance().closeIfIdle(id.key);
    }
}

int VideoRoom::activePublishers() const {
    int count = 0;
    for (const auto& [participantId, participant] : participants)
        count += participant->active ? 1 : 0;
    return count;
}

Json VideoRoom::activePublishersJson(uint64_t except) const {
    Json list = Json::array();
    for (const auto& [participantId, participant] : participants) {
        if (participant->active && participantId != except)
            list.append(participant->describe());
    }
    for (const auto& [feedId, remote] : remoteFeeds) {
        if (remote->feed->active && feedId != except && !participants.count(feedId))
            list.append(remote->feed->describe());
    }
    if (audioBridge && audioBridge->mix->feed->active && audioBridge->mix->feed->id != except)
        list.append(audioBridge->mix->feed->describe());
    return list;
}

std::shared_ptr<Publisher> VideoRoom::findParticipant(uint64_t participantId) const {
    auto it = participants.find(participantId);
    return it == participants.end() ? nullptr : it->second;
}

std::shared_ptr<Publisher> VideoRoom::findFeed(uint64_t feedId) const {
    if (auto participant = findParticipant(feedId))
        return participant;
    auto it = remoteFeeds.find(feedId);
    if (it != remoteFeeds.end())
        return it->second->feed;
    if (audioBridge && audioBridge->mix->feed->id == feedId)
        return audioBridge->mix->feed;
    return nullptr;
}

std::vector<std::shared_ptr<Subscriber>> VideoRoom::liveSubscribers() {
    std::vector<std::shared_ptr<Subscriber>> live;
    std::vector<std::weak_ptr<Subscriber>> kept;
    for (const auto& weak : subscribers) {
        if (auto subscriber = weak.lock()) {
            live.push_back(std::move(subscriber));
            kept.push_back(weak);
        }
    }
    subscribers.swap(kept);
    return live;
}

Json VideoRoom::historyJson(uint64_t* through) const {
    Json list = Json::array();
    if (!hubRoom_)
        return list;
    hub::Room::HistorySnapshot history = hubRoom_->historySnapshot(settings.historySize);
    if (through)
        *through = history.through;
    for (const auto& event : history.events) {
        try {
            list.append(chatMessageJson(event, hub::readChat(event)));
        } catch (const hub::InvalidHubEvent&) {
            // the hub keeps only valid messages
        }
    }
    return list;
}

// In the order they were raised (first first), as a moderator takes the floor requests.
Json VideoRoom::raisedHandsJson() const {
    std::vector<std::pair<uint64_t, uint64_t>> raised;  // (order, participant id)
    for (const auto& [participantId, participant] : participants) {
        if (participant->handRaised)
            raised.emplace_back(participant->handRaisedOrder, participantId);
    }
    std::sort(raised.begin(), raised.end());
    Json list = Json::array();
    for (const auto& [order, participantId] : raised)
        list.append(Json::adopt(json_integer(static_cast<json_int_t>(participantId))));
    return list;
}

Json VideoRoom::summary() const {
    Json json = Json::object();
    json.set("room", id.value)
        .set("description", settings.description.empty() ? id.key : settings.description)
        .setBool("pin_required", !settings.pin.empty())
        .setBool("is_private", settings.isPrivate)
        .set("max_publishers", static_cast<json_int_t>(settings.maxPublishers))
        .set("bitrate", static_cast<json_int_t>(settings.bitrate))
        .set("num_participants", static_cast<json_int_t>(participants.size()))
        .setBool("locked", locked)
        .set("audiocodec", settings.audioCodecs.empty() ? "any" : joinCodecs(settings.audioCodecs))
        .set("videocodec", settings.videoCodecs.empty() ? "any" : joinCodecs(settings.videoCodecs));
    return json;
}

}  // namespace sylk::videoroom
