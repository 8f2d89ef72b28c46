// Active speakers and room chat of janus.plugin.sylk.videoroom: talking events, the dominant
// speaker, low-bandwidth selection, chat messages, is-composing, and hub events.
#include <algorithm>
#include <charconv>

#include "sylkcore/files/file_store.hpp"
#include "sylkcore/hub/events.hpp"
#include "sylkcore/log.hpp"
#include "videoroom_common.hpp"
#include "videoroom_plugin.hpp"
#include "videoroom_requests.hpp"
#include "videoroom_events.hpp"

namespace sylk::videoroom {

// ------------------------------------------------------------------ active speakers

uint64_t VideoRoomPlugin::ownerFeed(const VideoRoom& room, const Subscriber& subscriber) const {
    if (subscriber.privateId == 0)
        return 0;
    for (const auto& [participantId, participant] : room.participants) {
        if (participant->privateId == subscriber.privateId)
            return participantId;
    }
    return 0;
}

void VideoRoomPlugin::updateVideoSelection(VideoRoom& room) {
    for (auto& subscriber : room.liveSubscribers()) {
        if (subscriber->lastN > 0)
            subscriber->selectVideo(room.speakers, ownerFeed(room, *subscriber));
    }
}

void VideoRoomPlugin::onTalking(const std::shared_ptr<Publisher>& publisher, bool talking, int averageLevel) {
    auto& room = *publisher->room;
    if (!room.participants.count(publisher->id) || publisher->talking == talking)
        return;
    events().notify(publisher->handle(), [&] { return VideoRoomEvents::talking(*publisher, talking, averageLevel); });
    if (room.hubRoom())
        room.hubRoom()->post(kPackage, publisher->memberId(), hub::talking(talking));
    noteTalking(room, *publisher, talking, averageLevel);
}

void VideoRoomPlugin::noteTalking(VideoRoom& room, Publisher& publisher, bool talking, std::optional<int> averageLevel) {
    publisher.talking = talking;
    Json event = Json::object();
    event.set("videoroom", talking ? "talking" : "stopped-talking")
        .set("room", room.id.value)
        .set("id", static_cast<json_int_t>(publisher.id));
    if (averageLevel)
        event.set("audio-level-dBov-avg", *averageLevel);
    broadcast(room, event);
    if (!talking)
        return;
    bool newDominant = room.speakers.empty() || room.speakers.front() != publisher.id;
    std::erase(room.speakers, publisher.id);
    room.speakers.insert(room.speakers.begin(), publisher.id);
    if (newDominant) {
        Json dominant = roomEvent(room);
        dominant.set("dominant_speaker", static_cast<json_int_t>(publisher.id));
        broadcast(room, dominant);
        updateVideoSelection(room);
    }
}

// ------------------------------------------------------------------ chat
//
// Chat and is-composing go through the hub room of the same name, so that every plugin serving
// the room gets them; our own participants get them when the hub hands them back
// (deliverChat), exactly like those from other plugins. On the hub a member is named by its
// member id; our web clients keep seeing our participants by number.

namespace {

// Our participant's number from its hub member id ("janus.plugin.sylk.videoroom/42"); 0 for a
// member of another plugin.
uint64_t participantOf(const std::string& memberId) {
    const std::string prefix = std::string(kPackage) + "/";
    if (memberId.size() <= prefix.size() || memberId.compare(0, prefix.size(), prefix) != 0)
        return 0;
    uint64_t id = 0;
    const char* first = memberId.data() + prefix.size();
    const char* last = memberId.data() + memberId.size();
    auto [end, error] = std::from_chars(first, last, id);
    return error == std::errc() && end == last ? id : 0;
}

// How a web client sees a member: our participants by number, others by member id.
Json clientRef(const std::string& memberId) {
    uint64_t id = participantOf(memberId);
    return id ? Json::adopt(json_integer(static_cast<json_int_t>(id))) : Json::adopt(json_string(memberId.c_str()));
}

}  // namespace

Reply VideoRoomPlugin::message(Session& session, RequestReader& reader, const Request&) {
    auto publisher = requireParticipant(session);
    auto [text, to, toMember] = parseChat(reader, maxMessageBytes_);
    auto& room = *publisher->room;
    std::shared_ptr<Publisher> recipient;
    if (to && !(recipient = room.findParticipant(static_cast<uint64_t>(*to))))
        throw RequestError(ErrorCode::VideoRoomNoSuchRecipient, "no participant " + std::to_string(*to) + " in this room");
    if (!toMember.empty()) {
        // Another plugin's member (an MSRP client, a phone): it must be in the room now.
        auto members = room.hubRoom()->members();
        if (std::none_of(members.begin(), members.end(), [&](const hub::Member& m) { return m.id == toMember; }))
            throw RequestError(ErrorCode::VideoRoomNoSuchRecipient, "no member " + toMember + " in this room");
    }
    hub::ChatMessage message;
    message.id = hub::newMessageId();
    message.display = publisher->display;
    message.text = text;
    message.timestamp = hub::nowMs();
    if (recipient)
        message.to = recipient->memberId();
    else if (!toMember.empty())
        message.to = toMember;
    room.hubRoom()->post(kPackage, publisher->memberId(), hub::chat(message));
    Reply reply{makeEvent(), {}};
    // Delivery status: how many of this room's participants it goes to.
    reply.body.set("room", room.id.value)
        .set("message_sent", message.id)
        .set("recipients", static_cast<json_int_t>(to || !toMember.empty() ? 1 : room.participants.size() - 1));
    return reply;
}

Reply VideoRoomPlugin::composing(Session& session, RequestReader& reader, const Request&) {
    auto publisher = requireParticipant(session);
    bool active = reader.optionalBool("active").value_or(true);
    // As for messages: our participants by number, other plugins' members by member id.
    std::optional<int64_t> to;
    std::string toMember;
    if (json_is_string(reader.optionalRaw("to")))
        toMember = reader.requireString("to", 256);
    else
        to = reader.optionalInt("to", 1, kMaxId);
    reader.rejectUnknownFields();
    auto& room = *publisher->room;
    hub::ComposingState state;
    state.display = publisher->display;
    state.active = active;
    if (to) {
        auto recipient = room.findParticipant(static_cast<uint64_t>(*to));
        if (!recipient)
            throw RequestError(ErrorCode::VideoRoomNoSuchRecipient, "no participant " + std::to_string(*to) + " in this room");
        state.to = recipient->memberId();
    } else if (!toMember.empty()) {
        // Another plugin's member (an MSRP client): typing privately to it, relayed by the hub
        // like a private message; it must be in the room now.
        auto members = room.hubRoom()->members();
        if (std::none_of(members.begin(), members.end(), [&](const hub::Member& m) { return m.id == toMember; }))
            throw RequestError(ErrorCode::VideoRoomNoSuchRecipient, "no member " + toMember + " in this room");
        state.to = toMember;
    }
    room.hubRoom()->post(kPackage, publisher->memberId(), hub::composing(state));
    Reply reply{makeEvent(), {}};
    reply.body.set("room", room.id.value).setBool("composing", active);
    return reply;
}

void VideoRoomPlugin::deliverChat(const std::shared_ptr<VideoRoom>& room, const hub::RoomEvent& event) {
    try {
        deliverHubEvent(room, event);
    } catch (const hub::InvalidHubEvent& e) {
        // Another plugin's mistake: drop the event, keep the room.
        SYLK_LOG(LOG_WARN, kPackage, "room %s: dropped %s", room->id.key.c_str(), e.what());
    }
}

void VideoRoomPlugin::deliverHubEvent(const std::shared_ptr<VideoRoom>& room, const hub::RoomEvent& event) {
    using namespace hub;
    if (event.kind == kind::Joined || event.kind == kind::Updated || event.kind == kind::Left)
        onRemoteMember(room, event);  // another node's publisher: its feed relayed here
    if ((event.kind == kind::Joined || event.kind == kind::Left) && isMixerMember(event.member))
        reconcileAudioBridge(room, event.kind == kind::Joined);  // a phone came or went: the bridge follows
    if ((event.kind == kind::Joined || event.kind == kind::Updated || event.kind == kind::Left) &&
        event.plugin != kPackage) {
        // Someone in the room through another plugin (a phone in the audio mixer, ...); an
        // update is a new display (an XMPP nickname change) or media state, or a moderator.
        Member member = readMember(event);
        Json attendee = Json::object();
        attendee.set("id", member.id).set("plugin", member.plugin).setBool("present", event.kind != kind::Left);
        attendee.set("display", member.display);
        if (event.kind == kind::Updated)
            attendee.setBool("updated", true);
        if (member.moderator)
            attendee.setBool("moderator", true);
        if (member.muted)
            attendee.setBool("muted", true);
        if (member.mutedByModerator)
            attendee.setBool("muted_by_moderator", true);
        Json out = roomEvent(*room);
        out.set("attendee", attendee);
        broadcast(*room, out);
    } else if (event.kind == kind::FileShared) {
        Json out = roomEvent(*room);
        out.set("file", fileNoticeJson(readFileShared(event)));
        broadcast(*room, out);
    } else if (event.kind == kind::Composing) {
        ComposingState state = readComposing(event);
        Json composing = Json::object();
        composing.set("id", clientRef(event.member)).set("display", state.display).setBool("active", state.active);
        composing.setBool("private", state.isPrivate());
        if (state.isPrivate())
            composing.set("to", clientRef(state.to));
        Json out = roomEvent(*room);
        out.set("composing", composing);
        if (!state.isPrivate()) {
            broadcast(*room, out, participantOf(event.member));
        } else if (auto recipient = room->findParticipant(participantOf(state.to))) {
            notify(recipient->handle(), out);
        }
    } else if ((event.kind == kind::Talking || event.kind == kind::StoppedTalking) && event.plugin != kPackage &&
               remoteFeedTalking(*room, event)) {
        // Another node's publisher, relayed here: talking as a local one (its node detected it).
    } else if ((event.kind == kind::Talking || event.kind == kind::StoppedTalking) && event.plugin != kPackage) {
        // A phone or another plugin's member talking (the audio mixer's voice detection): web
        // pages light its audio tile. Named by "member" (its member id, as in "attendee"),
        // never "id", which stock pages read as one of our publishers.
        Json out = Json::object();
        out.set("videoroom", event.kind == kind::Talking ? "talking" : "stopped-talking")
            .set("room", room->id.value)
            .set("member", event.member);
        broadcast(*room, out);
    } else if (event.kind == kind::Chat) {
        deliverMessage(*room, event, readChat(event));
    } else if (event.kind == kind::Kick) {
        KickOrder order = readKick(event);
        if (auto target = room->findParticipant(participantOf(order.target)))
            kickedThroughHub(room, target, event.member, order);
    }
}

Json chatMessageJson(const hub::RoomEvent& event, const hub::ChatMessage& chat) {
    Json message = Json::object();
    message.set("id", chat.id)
        .set("from", clientRef(event.member))
        .set("display", chat.senderName(event))
        .set("text", chat.text)
        .set("timestamp", static_cast<json_int_t>(chat.timestamp));
    if (chat.isPrivate())
        message.set("to", clientRef(chat.to));
    message.setBool("private", chat.isPrivate());
    message.set("origin", event.plugin);
    return message;
}

void VideoRoomPlugin::deliverMessage(VideoRoom& room, const hub::RoomEvent& event, const hub::ChatMessage& chat) {
    Json out = roomEvent(room);
    out.set("message", chatMessageJson(event, chat));
    if (!chat.isPrivate()) {
        // The hub room keeps it as history: who joined after it was posted had it in the join
        // reply, though the event reaches this loop after the join.
        for (const auto& [participantId, participant] : room.participants) {
            if (event.sequence > participant->historyThrough)
                notify(participant->handle(), out);
        }
        return;
    }
    // Private: the recipient and the sender's own other view of it.
    uint64_t recipient = participantOf(chat.to);
    uint64_t sender = participantOf(event.member);
    for (const auto& [participantId, participant] : room.participants) {
        if (participantId == recipient || participantId == sender)
            notify(participant->handle(), out);
    }
}

}  // namespace sylk::videoroom

