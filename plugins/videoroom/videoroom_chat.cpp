// Active speakers and room chat of janus.plugin.sylk.videoroom: talking events, the dominant
// speaker, low-bandwidth selection, chat messages, is-composing, and hub events.
#include "sylkcore/files/file_store.hpp"
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
    publisher->talking = talking;
    Json event = Json::object();
    event.set("videoroom", talking ? "talking" : "stopped-talking")
        .set("room", room.id.value)
        .set("id", static_cast<json_int_t>(publisher->id))
        .set("audio-level-dBov-avg", averageLevel);
    events().notify(publisher->handle(), [&] { return VideoRoomEvents::talking(*publisher, talking, averageLevel); });
    broadcast(room, event);
    if (room.hubRoom())
        room.hubRoom()->post(talking ? "talking" : "stopped-talking", kPackage, publisher->memberId(), Json::object());
    if (!talking)
        return;
    bool newDominant = room.speakers.empty() || room.speakers.front() != publisher->id;
    std::erase(room.speakers, publisher->id);
    room.speakers.insert(room.speakers.begin(), publisher->id);
    if (newDominant) {
        Json dominant = roomEvent(room);
        dominant.set("dominant_speaker", static_cast<json_int_t>(publisher->id));
        broadcast(room, dominant);
        updateVideoSelection(room);
    }
}

// ------------------------------------------------------------------ chat

Reply VideoRoomPlugin::message(Session& session, RequestReader& reader, const Request&) {
    auto publisher = requireParticipant(session);
    auto [text, to] = parseChat(reader, maxMessageBytes_);
    auto& room = *publisher->room;
    if (to && !room.findParticipant(static_cast<uint64_t>(*to)))
        throw RequestError(ErrorCode::VideoRoomNoSuchRecipient, "no participant " + std::to_string(*to) + " in this room");
    gchar* uuid = g_uuid_string_random();
    std::string messageId = uuid;
    g_free(uuid);
    Json data = Json::object();
    data.set("id", messageId)
        .set("from", static_cast<json_int_t>(publisher->id))
        .set("display", publisher->display)
        .set("text", text)
        .set("timestamp", static_cast<json_int_t>(g_get_real_time() / 1000));
    if (to)
        data.set("to", static_cast<json_int_t>(*to));
    // Through the hub, so that every plugin serving this room gets it; we deliver it to our
    // own participants when it comes back (deliverChat).
    room.hubRoom()->post(to ? "private-chat" : "chat", kPackage, publisher->memberId(), data);
    Reply reply{makeEvent(), {}};
    // Delivery status: how many of this room's participants it goes to.
    reply.body.set("room", room.id.value)
        .set("message_sent", messageId)
        .set("recipients", static_cast<json_int_t>(to ? 1 : room.participants.size() - 1));
    return reply;
}

Reply VideoRoomPlugin::composing(Session& session, RequestReader& reader, const Request&) {
    auto publisher = requireParticipant(session);
    bool active = reader.optionalBool("active").value_or(true);
    auto to = reader.optionalInt("to", 1, kMaxId);
    reader.rejectUnknownFields();
    auto& room = *publisher->room;
    Json state = Json::object();
    state.set("id", static_cast<json_int_t>(publisher->id)).set("display", publisher->display).setBool("active", active);
    Json event = roomEvent(room);
    event.set("composing", state);
    if (to) {
        if (auto recipient = room.findParticipant(static_cast<uint64_t>(*to)))
            notify(recipient->handle(), event);
        else
            throw RequestError(ErrorCode::VideoRoomNoSuchRecipient, "no participant " + std::to_string(*to) + " in this room");
    } else {
        broadcast(room, event, publisher->id);
    }
    Reply reply{makeEvent(), {}};
    reply.body.set("room", room.id.value).setBool("composing", active);
    return reply;
}

void VideoRoomPlugin::deliverChat(const std::shared_ptr<VideoRoom>& room, const hub::RoomEvent& event) {
    if ((event.kind == "joined" || event.kind == "left") && event.plugin != kPackage) {
        // Someone in the room through another plugin (a phone in the audio mixer, ...).
        Json attendee = Json::object();
        attendee.set("id", event.member).set("plugin", event.plugin).setBool("present", event.kind == "joined");
        if (json_t* display = event.data.member("display"))
            attendee.set("display", Json::borrow(display));
        Json out = roomEvent(*room);
        out.set("attendee", attendee);
        broadcast(*room, out);
        return;
    }
    if (event.kind == "file") {
        Json out = roomEvent(*room);
        out.set("file", Json::adopt(json_deep_copy(event.data.get())));
        broadcast(*room, out);
        return;
    }
    if (event.kind != "chat" && event.kind != "private-chat")
        return;
    Json message = Json::adopt(json_deep_copy(event.data.get()));  // hub data is shared: copy
    if (!json_is_string(message.member("display")))
        message.set("display", event.member);
    message.setBool("private", event.kind == "private-chat");
    message.set("origin", event.plugin);
    Json out = roomEvent(*room);
    out.set("message", message);
    if (event.kind == "chat") {
        room->remember(message);
        broadcast(*room, out);
        return;
    }
    // Private: the recipient and the sender's own other view of it.
    json_t* to = message.member("to");
    json_t* from = message.member("from");
    for (const auto& [participantId, participant] : room->participants) {
        bool recipient = json_is_integer(to) && static_cast<uint64_t>(json_integer_value(to)) == participantId;
        bool sender = json_is_integer(from) && static_cast<uint64_t>(json_integer_value(from)) == participantId;
        if (recipient || sender)
            notify(participant->handle(), out);
    }
}

}  // namespace sylk::videoroom

