// janus.plugin.sylk.audiomixer's moderation: self mute, a moderator's mute and unmute (also
// ordered through the hub by another plugin's moderator) and kick; docs/audiomixer-api.md.
#include "audiomixer_plugin.hpp"

#include "audiomixer_common.hpp"
#include "audiomixer_events.hpp"

#include <glib.h>

#include <algorithm>

#include "sylkcore/hub/services.hpp"
#include "sylkcore/log.hpp"

namespace sylk::audiomixer {

void AudioMixerPlugin::setMute(Session&, RequestReader& reader, bool muted) {
    std::string key = roomKey(reader);
    Room* room = findRoom(key);
    if (!room)
        throw RequestError(ErrorCode::AudioMixerNoSuchRoom, "no such room '" + key + "'");
    auto secret = reader.optionalString("secret", 256);
    if (!room->mixer->settings.secret.empty() && secret.value_or("") != room->mixer->settings.secret)
        throw RequestError(ErrorCode::AudioMixerUnauthorized, "only a moderator (the room secret) may mute others");
    if (room->mixer->settings.secret.empty())
        throw RequestError(ErrorCode::AudioMixerUnauthorized, "this room has no secret, so nobody may mute others");
    auto target = room->mixer->find(static_cast<uint64_t>(reader.requireInt("id", 1, kMaxId)));
    if (!target)
        throw RequestError(ErrorCode::AudioMixerNoSuchUser, "no such participant in this room");
    applyModeratorMute(key, *room, *target, muted);
}

void AudioMixerPlugin::applyModeratorMute(const std::string& key, Room& room, MixParticipant& target, bool muted) {
    target.moderatorMuted = muted;  // the mixer leaves it out of the mix from the next frame
    publishMember(room, target);
    Json event = roomEvent(key);
    Json list = Json::array();
    list.append(participantJson(target));
    event.set("participants", list);
    broadcast(room, event);
}

void AudioMixerPlugin::mutedThroughHub(const std::string& key, const std::string& moderator, const hub::MuteOrder& order) {
    Room* room = findRoom(key);
    const std::string prefix = std::string(kPackage) + "/";
    if (!room || order.target.rfind(prefix, 0) != 0)
        return;  // not ours
    if (!room->hub->isModerator(moderator)) {
        SYLK_LOG(LOG_WARN, kPackage, "room %s: mute of %s by %s ignored: not a moderator", key.c_str(),
                 order.target.c_str(), moderator.c_str());
        return;
    }
    uint64_t id = std::strtoull(order.target.c_str() + prefix.size(), nullptr, 10);
    auto target = room->mixer->find(id);
    if (!target)
        return;  // left meanwhile
    applyModeratorMute(key, *room, *target, order.muted);
    SYLK_LOG(LOG_INFO, kPackage, "room %s: %s %s by moderator %s", key.c_str(), target->display.c_str(),
             order.muted ? "muted" : "unmuted", order.display.c_str());
}

Reply AudioMixerPlugin::moderatorMute(Session& session, RequestReader& reader, const Request&) {
    setMute(session, reader, true);
    return Reply{Json::object().set("audiobridge", "success"), {}};
}

Reply AudioMixerPlugin::moderatorUnmute(Session& session, RequestReader& reader, const Request&) {
    setMute(session, reader, false);
    return Reply{Json::object().set("audiobridge", "success"), {}};
}

Reply AudioMixerPlugin::kick(Session&, RequestReader& reader, const Request&) {
    std::string key = roomKey(reader);
    Room* room = findRoom(key);
    if (!room)
        throw RequestError(ErrorCode::AudioMixerNoSuchRoom, "no such room '" + key + "'");
    auto secret = reader.optionalString("secret", 256);
    if (room->mixer->settings.secret.empty() || secret.value_or("") != room->mixer->settings.secret)
        throw RequestError(ErrorCode::AudioMixerUnauthorized, "only a moderator (the room secret) may kick");
    auto id = static_cast<uint64_t>(reader.requireInt("id", 1, kMaxId));
    if (!room->mixer->find(id))
        throw RequestError(ErrorCode::AudioMixerNoSuchUser, "no such participant in this room");
    if (auto it = room->sessions.find(id); it != room->sessions.end()) {
        if (auto session = it->second.lock()) {
            Json kicked = roomEvent(key);
            kicked.set("audiobridge", "event").set("kicked", static_cast<json_int_t>(id));
            pushEvent(*session, "", kicked);
            gateway().closePc(session->handle());
        }
    }
    removeParticipant(key, id, "kicked");
    closeIfUnused(key);  // the kicked handle's hangup no longer finds it in the room
    return Reply{Json::object().set("audiobridge", "success"), {}};
}

}  // namespace sylk::audiomixer
