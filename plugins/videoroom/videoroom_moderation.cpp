// Moderator actions of janus.plugin.sylk.videoroom (kick, moderate, mute_all, lock) and the
// participants' raised hands. Authorization: the room secret in the request, or a participant
// of that room who is a moderator (joined with the secret, or made the room by joining it).
#include <algorithm>

#include "sylkcore/hub/events.hpp"
#include "sylkcore/log.hpp"
#include "videoroom_common.hpp"
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
    if (stream.kind == MediaKind::Audio && publisher->room->hubRoom())
        publisher->room->hubRoom()->join(rosterMember(*publisher));  // phones' conference-info shows it
}

void VideoRoomPlugin::setSelfMuted(const std::shared_ptr<Publisher>& publisher, PublishedStream& stream, bool muted) {
    if (stream.selfMuted.exchange(muted) == muted)
        return;
    if (!muted && stream.kind == MediaKind::Video)
        publisher->requestKeyframe(stream.mindex);  // subscribers' pictures resume at once
    Json event = roomEvent(*publisher->room);
    Json state = Json::object();
    state.set("id", static_cast<json_int_t>(publisher->id))
        .set("display", publisher->display)
        .set("mid", stream.mid)
        .set("type", kindName(stream.kind))
        .setBool("muted", muted);
    event.set("muted", state);
    broadcast(*publisher->room, event);
    if (stream.kind == MediaKind::Audio && publisher->room->hubRoom())
        publisher->room->hubRoom()->join(rosterMember(*publisher));  // phones' conference-info shows it
}

hub::Member VideoRoomPlugin::rosterMember(const Publisher& publisher) const {
    hub::Member member{publisher.memberId(), publisher.display, kPackage};
    member.moderator = publisher.moderator;
    for (const auto& stream : publisher.streams()) {
        if (stream->kind != MediaKind::Audio)
            continue;
        member.muted = member.muted || stream->selfMuted.load();
        member.mutedByModerator = member.mutedByModerator || stream->moderated.load();
    }
    return member;
}

Reply VideoRoomPlugin::kick(Session& session, RequestReader& reader, const Request&) {
    auto room = moderatedRoom(session, reader, "kick participants");
    if (auto member = reader.optionalString("member", 256)) {
        kickMember(session, *room, *member);
        Json reply = Json::object();
        reply.set("videoroom", "success");
        return Reply{reply, {}};
    }
    auto target = room->findParticipant(static_cast<uint64_t>(reader.requireInt("id", 1, kMaxId)));
    if (!target)
        throw RequestError(ErrorCode::VideoRoomNoSuchFeed, "no such participant in this room");
    Json kicked = roomEvent(*room);
    kicked.set("leaving", "ok").set("reason", "kicked");
    // Sylk: the other plugins hear it was a kick (an XMPP room shows 307), when a moderating
    // participant did it; ours is removed right below, so the event finds nobody here.
    auto kicker = session.publisher();
    if (room->hubRoom() && kicker && !session.left && kicker->room == room && kicker->moderator) {
        hub::KickOrder order;
        order.target = target->memberId();
        order.display = kicker->display;
        room->hubRoom()->post(kPackage, kicker->memberId(), hub::kick(order));
    }
    removeKicked(target, kicked);
    Json reply = Json::object();
    reply.set("videoroom", "success");
    return Reply{reply, {}};
}

// Sylk: a member of another plugin (an XMPP occupant, a phone...) is kicked through the hub:
// its plugin removes it. Only a participant who moderates (not the bare secret) can, since
// the hub names the kicker and every plugin checks it moderates.
void VideoRoomPlugin::kickMember(Session& session, VideoRoom& room, const std::string& memberId) {
    auto publisher = moderatorOfOtherMember(session, room, memberId, "kick", "kicked");
    hub::KickOrder order;
    order.target = memberId;
    order.display = publisher->display;
    room.hubRoom()->post(kPackage, publisher->memberId(), hub::kick(order));
}

// The calling participant, if it moderates the room and memberId is another plugin's member
// (not a moderator) in it; refuses otherwise. The hub order then names the participant, and
// the target's plugin checks again that it moderates.
std::shared_ptr<Publisher> VideoRoomPlugin::moderatorOfOtherMember(Session& session, VideoRoom& room, const std::string& memberId,
                                                                   const char* action, const char* done) {
    auto publisher = session.publisher();
    if (!publisher || session.left || publisher->room.get() != &room || !publisher->moderator)
        throw RequestError(ErrorCode::VideoRoomUnauthorized,
                           std::string("only a moderator in the room may ") + action + " members of other plugins");
    if (!room.hubRoom())
        throw RequestError(ErrorCode::VideoRoomNoSuchFeed, "no such member in this room");
    auto members = room.hubRoom()->members();
    auto it = std::find_if(members.begin(), members.end(), [&](const hub::Member& m) { return m.id == memberId; });
    if (it == members.end() || it->plugin == kPackage)
        throw RequestError(ErrorCode::VideoRoomNoSuchFeed, "no member '" + memberId + "' of another plugin in this room");
    if (it->moderator)
        throw RequestError(ErrorCode::VideoRoomUnauthorized, std::string("a moderator cannot be ") + done);
    return publisher;
}

// Sylk: a phone (the audio mixer's member) or another plugin's member is muted through the hub:
// {"member": id, "mute": bool} instead of id/mid. Its plugin applies it and republishes the
// member (muted_by_moderator), which every page sees as an attendee update.
void VideoRoomPlugin::muteMember(Session& session, VideoRoom& room, const std::string& memberId, bool mute) {
    auto publisher = moderatorOfOtherMember(session, room, memberId, "mute", "muted");
    hub::MuteOrder order;
    order.target = memberId;
    order.muted = mute;
    order.display = publisher->display;
    room.hubRoom()->post(kPackage, publisher->memberId(), hub::mute(order));
}

// Sylk: a moderator of another plugin (an XMPP occupant of the moderators list) kicked one of
// ours through the hub; honoured only if the hub says the kicker moderates the room.
void VideoRoomPlugin::kickedThroughHub(const std::shared_ptr<VideoRoom>& room, const std::shared_ptr<Publisher>& target,
                                       const std::string& kicker, const hub::KickOrder& order) {
    if (!room->hubRoom() || !room->hubRoom()->isModerator(kicker)) {
        SYLK_LOG(LOG_WARN, kPackage, "room %s: kick of %s by %s ignored: not a moderator", room->id.key.c_str(),
                 order.target.c_str(), kicker.c_str());
        return;
    }
    Json kicked = roomEvent(*room);
    kicked.set("leaving", "ok").set("reason", "kicked").set("by", order.display);
    if (!order.reason.empty())
        kicked.set("why", order.reason);
    removeKicked(target, kicked);
}

void VideoRoomPlugin::removeKicked(const std::shared_ptr<Publisher>& target, const Json& kicked) {
    notify(target->handle(), kicked);
    removeParticipant(target, "kicked");
    for (const auto& candidate : sessions()) {
        auto& other = static_cast<Session&>(*candidate);
        if (other.publisher() == target)
            other.left = true;
    }
    gateway().closePc(target->handle());
}

Reply VideoRoomPlugin::moderate(Session& session, RequestReader& reader, const Request&) {
    auto room = moderatedRoom(session, reader, "mute participants");
    if (auto member = reader.optionalString("member", 256)) {
        muteMember(session, *room, *member, reader.requireBool("mute"));
        Json reply = Json::object();
        reply.set("videoroom", "success");
        return Reply{reply, {}};
    }
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
    bool raised = reader.optionalBool("raised").value_or(true);
    reader.rejectUnknownFields();
    if (raised && !publisher->handRaised)
        publisher->handRaisedOrder = ++publisher->room->handSequence;
    publisher->handRaised = raised;
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
