// Room management of janus.plugin.sylk.audiomixer: the room table, create, destroy, edit,
// exists, list, listparticipants and the admin list. Stock-synchronous requests.
#include "audiomixer_common.hpp"
#include "audiomixer_plugin.hpp"
#include "audiomixer_events.hpp"
#include "sylkcore/log.hpp"

namespace sylk::audiomixer {

// ------------------------------------------------------------------ rooms

std::string AudioMixerPlugin::roomKey(RequestReader& reader, bool required) {
    RoomId id = RoomId::read(reader, required);
    if (!id.empty() && !roomValues_.count(id.key)) {
        // Names of rooms that do not exist (asked about, refused, closed) are forgotten here, so
        // the table holds the rooms plus this request's name, however many names clients try.
        std::erase_if(roomValues_, [this](const auto& entry) { return !rooms_.count(entry.first); });
        roomValues_[id.key] = id.value;
    }
    return id.key;
}

Json AudioMixerPlugin::roomValue(const std::string& key) const {
    auto it = roomValues_.find(key);
    return it != roomValues_.end() ? it->second : Json::adopt(json_string(key.c_str()));
}

// Hears the room's hub events on the poster's thread and hands mute orders to the loop, where
// the room's participants live. Nothing may escape to the poster.
struct AudioMixerPlugin::HubListener : hub::RoomListener {
    HubListener(AudioMixerPlugin& plugin, std::string key) : plugin(plugin), key(std::move(key)) {}
    void onRoomEvent(const hub::RoomEvent& event) override {
        if ((event.kind == hub::kind::Joined || event.kind == hub::kind::Left) &&
            (isMixerMember(event.member) || !videoRoomNodeOf(event.member).empty())) {
            // A node gained or lost its first or last mixer participant or page, maybe: see the legs.
            plugin.loop().post([plugin = &plugin, key = key] { plugin->reconcileLegs(key); });
            return;
        }
        if (event.kind != hub::kind::Mute)
            return;
        try {
            hub::MuteOrder order = hub::readMute(event);
            plugin.loop().post([plugin = &plugin, key = key, moderator = event.member, order] {
                plugin->mutedThroughHub(key, moderator, order);
            });
        } catch (const hub::InvalidHubEvent& e) {
            SYLK_LOG(LOG_WARN, kPackage, "room %s: dropped %s", key.c_str(), e.what());
        }
    }
    AudioMixerPlugin& plugin;
    std::string key;
};

AudioMixerPlugin::Room* AudioMixerPlugin::findRoom(const std::string& key) {
    auto it = rooms_.find(key);
    return it == rooms_.end() ? nullptr : &it->second;
}

AudioMixerPlugin::Room& AudioMixerPlugin::makeRoom(const std::string& key, MixRoomSettings settings) {
    Room room;
    room.mixer = std::make_shared<MixRoom>(key, std::move(settings), [this, key](uint64_t id, bool talking, int level) {
        loop().post([this, key, id, talking, level] { onTalk(key, id, talking, level); });
    });
    room.hub = hub::Hub::instance().open(key);
    room.hub->setPin(kPackage, room.mixer->settings.pin);
    room.hubListener = std::make_shared<HubListener>(*this, key);
    room.hubSubscription = room.hub->subscribe(room.hubListener);
    events().notify(nullptr, [&] { return AudioMixerEvents::room("created", roomValue(key)); });
    SYLK_LOG(LOG_INFO, kPackage, "room %s created", key.c_str());
    return rooms_[key] = std::move(room);
}

void AudioMixerPlugin::closeRoom(const std::string& key) {
    auto it = rooms_.find(key);
    if (it == rooms_.end())
        return;
    // Hold the list: removeParticipant replaces it (copy-on-write) while we walk it.
    auto participants = it->second.mixer->participants();
    for (const auto& participant : *participants)
        removeParticipant(key, participant->id, "leaving");
    dropAllLegs(key, it->second, true);
    it->second.hub->setPin(kPackage, "");
    rooms_.erase(key);
    events().notify(nullptr, [&] { return AudioMixerEvents::room("destroyed", roomValue(key)); });
    hub::Hub::instance().closeIfIdle(key);
    refreshClock();
    SYLK_LOG(LOG_INFO, kPackage, "room %s closed", key.c_str());
}

void AudioMixerPlugin::refreshClock() {
    MixerClock::RoomList active;
    for (const auto& [key, room] : rooms_) {
        if (room.mixesHere())
            active.push_back(room.mixer);
    }
    clock_->setRooms(std::move(active));
}

Json AudioMixerPlugin::roomEvent(const std::string& key) const {
    Json event = makeEvent();
    event.set("room", roomValue(key));
    return event;
}

Json AudioMixerPlugin::participantJson(const MixParticipant& participant) const {
    Json json = Json::object();
    json.set("id", static_cast<json_int_t>(participant.id))
        .set("display", participant.display)
        .setBool("setup", true)
        .setBool("muted", participant.muted || participant.moderatorMuted);
    return json;
}

void AudioMixerPlugin::broadcast(Room& room, const Json& event, uint64_t except) {
    for (auto& [id, weak] : room.sessions) {
        if (id == except)
            continue;
        if (auto session = weak.lock())
            pushEvent(*session, "", event);
    }
}

Reply AudioMixerPlugin::create(Session&, RequestReader& reader, const Request&) {
    std::string key = roomKey(reader, false);
    if (key.empty()) {
        key = std::to_string(randomId());
        roomValues_[key] = Json::adopt(json_integer(static_cast<json_int_t>(std::stoull(key))));
    }
    if (findRoom(key))
        throw RequestError(ErrorCode::AudioMixerRoomExists, "room '" + key + "' already exists");
    MixRoomSettings settings = defaults_;
    settings.description = reader.optionalString("description", 256).value_or("");
    settings.pin = reader.optionalString("pin", 256).value_or("");
    settings.secret = reader.optionalString("secret", 256).value_or("");
    if (auto rate = reader.optionalInt("sampling_rate", 8000, 48000))
        settings.sampleRate = checkRate(*rate);
    settings.maxParticipants = reader.optionalInt("max_participants", 1, 10000).value_or(defaults_.maxParticipants);
    settings.isPrivate = reader.optionalBool("is_private").value_or(false);
    settings.tones = reader.optionalBool("tones").value_or(defaults_.tones);
    reader.optionalBool("permanent");
    makeRoom(key, settings);
    Json reply = Json::object();
    reply.set("audiobridge", "created").set("room", roomValue(key)).setBool("permanent", false);
    return Reply{reply, {}};
}

Reply AudioMixerPlugin::destroyRoom(Session&, RequestReader& reader, const Request&) {
    std::string key = roomKey(reader);
    Room* room = findRoom(key);
    if (!room)
        throw RequestError(ErrorCode::AudioMixerNoSuchRoom, "no such room '" + key + "'");
    checkSecret(*room, reader, "destroy the room");
    Json event = Json::object();
    event.set("audiobridge", "destroyed").set("room", roomValue(key));
    broadcast(*room, event);
    closeRoom(key);
    return Reply{event, {}};
}

Reply AudioMixerPlugin::edit(Session&, RequestReader& reader, const Request&) {
    std::string key = roomKey(reader);
    Room* room = findRoom(key);
    if (!room)
        throw RequestError(ErrorCode::AudioMixerNoSuchRoom, "no such room '" + key + "'");
    checkSecret(*room, reader, "edit the room");
    auto& settings = room->mixer->settings;
    if (auto value = reader.optionalString("new_description", 256))
        settings.description = *value;
    if (auto value = reader.optionalString("new_pin", 256)) {
        settings.pin = *value;
        room->hub->setPin(kPackage, *value);
    }
    if (auto value = reader.optionalString("new_secret", 256))
        settings.secret = *value;
    if (auto value = reader.optionalBool("new_is_private"))
        settings.isPrivate = *value;
    Json reply = Json::object();
    reply.set("audiobridge", "edited").set("room", roomValue(key));
    return Reply{reply, {}};
}

Reply AudioMixerPlugin::exists(Session&, RequestReader& reader, const Request&) {
    std::string key = roomKey(reader);
    Json reply = Json::object();
    reply.set("audiobridge", "success").set("room", roomValue(key)).setBool("exists", findRoom(key) != nullptr);
    return Reply{reply, {}};
}

Reply AudioMixerPlugin::list(Session&, RequestReader&, const Request&) {
    Json rooms = Json::array();
    for (const auto& [key, room] : rooms_) {
        const auto& settings = room.mixer->settings;
        if (settings.isPrivate)
            continue;
        Json entry = Json::object();
        entry.set("room", roomValue(key))
            .set("description", settings.description.empty() ? key : settings.description)
            .set("sampling_rate", settings.sampleRate)
            .setBool("pin_required", !settings.pin.empty())
            .set("max_participants", static_cast<json_int_t>(settings.maxParticipants))
            .set("num_participants", static_cast<json_int_t>(room.mixer->size()));
        rooms.append(entry);
    }
    Json reply = Json::object();
    reply.set("audiobridge", "success").set("list", rooms);
    return Reply{reply, {}};
}

Reply AudioMixerPlugin::listParticipants(Session&, RequestReader& reader, const Request&) {
    std::string key = roomKey(reader);
    Room* room = findRoom(key);
    if (!room)
        throw RequestError(ErrorCode::AudioMixerNoSuchRoom, "no such room '" + key + "'");
    Json participants = Json::array();
    auto list = room->mixer->participants();
    for (const auto& participant : *list)
        participants.append(participantJson(*participant));
    Json reply = Json::object();
    reply.set("audiobridge", "participants").set("room", roomValue(key)).set("participants", participants);
    reply.set("attendees", room->hub->membersJsonExcept(kPackage));  // Sylk: through other plugins
    return Reply{reply, {}};
}

Reply AudioMixerPlugin::adminList(RequestReader&, const Request&) {
    Json rooms = Json::array();
    for (const auto& [key, room] : rooms_) {
        Json participants = Json::array();
        auto list = room.mixer->participants();
        for (const auto& participant : *list)
            participants.append(participant->describe());
        Json entry = Json::object();
        entry.set("room", roomValue(key))
            .set("sampling_rate", room.mixer->settings.sampleRate)
            .set("mixing_rate", room.mixer->mixRate())
            .set("participants", participants)
            .set("encodes_own", static_cast<json_int_t>(room.mixer->stats.encodesOwn.load()))
            .set("encodes_shared", static_cast<json_int_t>(room.mixer->stats.encodesShared.load()))
            .set("encodes_legs", static_cast<json_int_t>(room.mixer->stats.encodesLegs.load()));
        Json legs = Json::array();  // one per other node that mixes this room (docs/cluster.md)
        for (const auto& [node, leg] : room.legs)
            legs.append(leg.describe());
        entry.set("remote_legs", legs);
        if (Json bridge = bridgeStatus(*room.mixer); bridge.get())
            entry.set("web_bridge", bridge);
        rooms.append(entry);
    }
    Json mixer = Json::object();
    mixer.set("threads", clock_->threads())
        .set("ticks", static_cast<json_int_t>(clock_->ticks()))
        .set("missed_deadlines", static_cast<json_int_t>(clock_->missedDeadlines()))
        .set("busy", clock_->busyFraction());
    Json reply = Json::object();
    reply.set("audiobridge", "success").set("list", rooms).set("mixer", mixer).set("cluster", legStatus()).set("web_bridges", bridgeCountersJson());
    return Reply{reply, {}};
}

}  // namespace sylk::audiomixer
