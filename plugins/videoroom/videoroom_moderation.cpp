// Moderator actions of janus.plugin.sylk.videoroom (kick, moderate, mute_all, lock) and the
// participants' raised hands. Authorization: the room secret in the request, or a participant
// of that room who is a moderator (joined with the secret, or made the room by joining it).
#include "videoroom_events.hpp"
#include "videoroom_plugin.hpp"
#include "videoroom_requests.hpp"

namespace sylk::videoroom {

std::shared_ptr<VideoRoom> VideoRoomPlugin::moderatedRoom(Session& session, RequestReader& reader, const char* action) {
    RoomId id = RoomId::read(reader, false);
    auto own = session.publisher() && !session.left ? session.publisher()->room : nullptr;
    if (id.empty() && !own)
        throw RequestError(ErrorCode::MissingField, "missing field 'room'");
    auto room = id.empty() ? own : findRoom(id);
    if (!room)
        throw RequestError(ErrorCode::VideoRoomNoSuchRoom, "no such room '" + id.key + "'");
    auto secret = reader.optionalString("secret", 256);
    bool holdsSecret = secret && !room->settings.secret.empty() && *secret == room->settings.secret;
    bool isModerator = own == room && session.publisher()->moderator;
    if (!holdsSecret && !isModerator)
        throw RequestError(ErrorCode::VideoRoomUnauthorized, std::string("only a moderator may ") + action);
    return room;
}

void VideoRoomPlugin::setModerated(const std::shared_ptr<Publisher>& publisher, PublishedStream& stream, bool muted) {
    if (stream.moderated.exchange(muted) == muted)
        return;
    if (!muted && stream.kind == MediaKind::Video)
        publisher->requestKeyframe(stream.mindex);
    Json event = roomEvent(*publisher->room);
    Json moderation = Json::object();
    moderation.set("id", static_cast<json_int_t>(publisher->id))
        .set("display", publisher->display)
        .set("mid", stream.mid)
        .set("type", kindName(stream.kind))
        .setBool("muted", muted);
    event.set("moderation", moderation);
    broadcast(*publisher->room, event);
    events().notify(publisher->handle(), [&] { return VideoRoomEvents::moderated(*publisher, stream, muted); });
}

Reply VideoRoomPlugin::kick(Session& session, RequestReader& reader, const Request&) {
    auto room = moderatedRoom(session, reader, "kick participants");
    auto target = room->findParticipant(static_cast<uint64_t>(reader.requireInt("id", 1, kMaxId)));
    if (!target)
        throw RequestError(ErrorCode::VideoRoomNoSuchFeed, "no such participant in this room");
    Json kicked = roomEvent(*room);
    kicked.set("leaving", "ok").set("reason", "kicked");
    notify(target->handle(), kicked);
    removeParticipant(target, "kicked");
    for (const auto& candidate : sessions()) {
        auto& other = static_cast<Session&>(*candidate);
        if (other.publisher() == target)
            other.left = true;
    }
    gateway().closePc(target->handle());
    Json reply = Json::object();
    reply.set("videoroom", "success");
    return Reply{reply, {}};
}

Reply VideoRoomPlugin::moderate(Session& session, RequestReader& reader, const Request&) {
    auto room = moderatedRoom(session, reader, "mute participants");
    auto target = room->findParticipant(static_cast<uint64_t>(reader.requireInt("id", 1, kMaxId)));
    if (!target)
        throw RequestError(ErrorCode::VideoRoomNoSuchFeed, "no such participant in this room");
    std::string mid = reader.requireString("mid", 64);
    bool mute = reader.requireBool("mute");
    auto stream = target->findStream(mid);
    if (!stream)
        throw RequestError(ErrorCode::VideoRoomNoSuchFeed, "participant has no stream '" + mid + "'");
    setModerated(target, *stream, mute);
    Json reply = Json::object();
    reply.set("videoroom", "success");
    return Reply{reply, {}};
}

Reply VideoRoomPlugin::muteAll(Session& session, RequestReader& reader, const Request&) {
    auto room = moderatedRoom(session, reader, "mute everyone");
    std::string kind = reader.optionalString("kind", 16).value_or("audio");
    if (kind != "audio" && kind != "video")
        throw RequestError(ErrorCode::InvalidField, "field 'kind' must be 'audio' or 'video'");
    bool mute = reader.optionalBool("mute").value_or(true);
    bool exceptSelf = reader.optionalBool("except_self").value_or(true);
    int changed = 0;
    for (const auto& [participantId, participant] : room->participants) {
        if (exceptSelf && session.publisher() == participant)
            continue;
        for (const auto& stream : participant->streams()) {
            if (kindName(stream->kind) == kind) {
                setModerated(participant, *stream, mute);
                ++changed;
            }
        }
    }
    Json reply = Json::object();
    reply.set("videoroom", "success").set("streams", changed);
    return Reply{reply, {}};
}

Reply VideoRoomPlugin::lock(Session& session, RequestReader& reader, const Request&) {
    auto room = moderatedRoom(session, reader, "lock the room");
    room->locked = reader.requireBool("locked");
    Json event = roomEvent(*room);
    event.setBool("locked", room->locked);
    broadcast(*room, event);
    Json reply = Json::object();
    reply.set("videoroom", "success").setBool("locked", room->locked);
    return Reply{reply, {}};
}

Reply VideoRoomPlugin::raiseHand(Session& session, RequestReader& reader, const Request&) {
    auto publisher = requireParticipant(session);
    publisher->handRaised = reader.optionalBool("raised").value_or(true);
    reader.rejectUnknownFields();
    Json hand = Json::object();
    hand.set("id", static_cast<json_int_t>(publisher->id)).set("display", publisher->display).setBool("raised", publisher->handRaised);
    Json event = roomEvent(*publisher->room);
    event.set("hand", hand);
    broadcast(*publisher->room, event);
    Reply reply{makeEvent(), {}};
    reply.body.set("room", publisher->room->id.value).setBool("hand_raised", publisher->handRaised);
    return reply;
}

}  // namespace sylk::videoroom
