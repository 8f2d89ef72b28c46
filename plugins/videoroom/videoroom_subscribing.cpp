// Subscriber requests of janus.plugin.sylk.videoroom: start, pause, subscribe, unsubscribe,
// update, switch, and the subscriber side of configure (layers, low-bandwidth mode).
#include "sylkcore/files/file_store.hpp"
#include "sylkcore/log.hpp"
#include "videoroom_common.hpp"
#include "videoroom_events.hpp"
#include "videoroom_plugin.hpp"
#include "videoroom_requests.hpp"

namespace sylk::videoroom {

// ------------------------------------------------------------------ subscribing

Reply VideoRoomPlugin::start(Session& session, RequestReader&, const Request& request) {
    auto subscriber = requireSubscriber(session);
    if (request.jsep) {
        json_t* type = request.jsep.member("type");
        if (!json_is_string(type) || std::string(json_string_value(type)) != "answer")
            throw RequestError(ErrorCode::InvalidJsep, "start takes the jsep answer to our offer");
    }
    subscriber->paused = false;
    subscriber->selectVideo(subscriber->room->speakers, ownerFeed(*subscriber->room, *subscriber));
    // Janus core has applied the answer; relaying starts now, and keyframes are asked for
    // again when the PeerConnection comes up (onMediaUp).
    subscriber->startSending();
    Reply reply{makeEvent(), {}};
    reply.body.set("room", subscriber->room->id.value).set("started", "ok");
    return reply;
}

Reply VideoRoomPlugin::pause(Session& session, RequestReader&, const Request&) {
    auto subscriber = requireSubscriber(session);
    subscriber->paused = true;
    subscriber->stopSending();
    Reply reply{makeEvent(), {}};
    reply.body.set("room", subscriber->room->id.value).set("paused", "ok");
    return reply;
}

Reply VideoRoomPlugin::subscriberUpdate(Subscriber& subscriber) {
    subscriber.selectVideo(subscriber.room->speakers, ownerFeed(*subscriber.room, subscriber));
    Reply reply{Json::object(), subscriber.offer()};
    reply.body.set("videoroom", "updated").set("room", subscriber.room->id.value).set("streams", subscriber.describeStreams());
    events().notify(subscriber.handle(), [&] { return VideoRoomEvents::subscriber("updated", subscriber); });
    return reply;
}

Reply VideoRoomPlugin::subscribe(Session& session, RequestReader& reader, const Request&) {
    auto subscriber = requireSubscriber(session);
    json_t* streams = reader.optionalArray("streams", 256);
    if (!streams)
        throw RequestError(ErrorCode::MissingField, "missing field 'streams'");
    addSubscriptions(*subscriber, streams);
    return subscriberUpdate(*subscriber);
}

Reply VideoRoomPlugin::unsubscribe(Session& session, RequestReader& reader, const Request&) {
    auto subscriber = requireSubscriber(session);
    json_t* streams = reader.optionalArray("streams", 256);
    if (!streams)
        throw RequestError(ErrorCode::MissingField, "missing field 'streams'");
    removeSubscriptions(*subscriber, streams);
    return subscriberUpdate(*subscriber);
}

Reply VideoRoomPlugin::update(Session& session, RequestReader& reader, const Request&) {
    auto subscriber = requireSubscriber(session);
    if (json_t* streams = reader.optionalArray("unsubscribe", 256))
        removeSubscriptions(*subscriber, streams);
    if (json_t* streams = reader.optionalArray("subscribe", 256))
        addSubscriptions(*subscriber, streams);
    return subscriberUpdate(*subscriber);
}

Reply VideoRoomPlugin::switchFeeds(Session& session, RequestReader& reader, const Request&) {
    auto subscriber = requireSubscriber(session);
    json_t* streams = reader.optionalArray("streams", 256);
    if (!streams)
        throw RequestError(ErrorCode::MissingField, "missing field 'streams' ([{\"feed\", \"mid\", \"sub_mid\"}])");
    int changes = 0;
    size_t index;
    json_t* entry;
    json_array_foreach(streams, index, entry) {
        RequestReader item(entry);
        auto feed = static_cast<uint64_t>(item.requireInt("feed", 1, kMaxId));
        std::string mid = item.requireString("mid", 64);
        std::string subMid = item.requireString("sub_mid", 64);
        auto publisher = subscriber->room->findFeed(feed);
        auto stream = publisher && publisher->active ? publisher->findStream(mid) : nullptr;
        if (!stream)
            throw RequestError(ErrorCode::VideoRoomNoSuchFeed, "no such feed stream (" + std::to_string(feed) + ", " + mid + ")");
        SubscriberStream* slot = nullptr;
        for (const auto& candidate : subscriber->slots())
            slot = candidate->mid == subMid ? candidate.get() : slot;
        if (!slot)
            throw RequestError(ErrorCode::InvalidField, "no subscription stream with mid '" + subMid + "'");
        if (!subscriber->switchSlot(*slot, publisher, stream))
            throw RequestError(ErrorCode::InvalidField, "stream '" + mid + "' is not of the same kind and codec as '" + subMid + "'");
        ++changes;
    }
    Reply reply{makeEvent(), {}};
    reply.body.set("room", subscriber->room->id.value)
        .set("switched", "ok")
        .set("changes", changes)
        .set("streams", subscriber->describeStreams());
    events().notify(subscriber->handle(), [&] { return VideoRoomEvents::subscriber("switched", *subscriber); });
    return reply;
}

Reply VideoRoomPlugin::leave(Session& session, RequestReader&, const Request&) {
    if (!session.hasRole() || session.left)
        throw RequestError(ErrorCode::VideoRoomJoinFirst, "not in a room");
    Json room;
    if (auto publisher = session.publisher()) {
        room = publisher->room->id.value;
        removeParticipant(publisher, "leaving");
    }
    if (auto subscriber = session.subscriber()) {
        room = subscriber->room->id.value;
        subscriber->detachAll();
    }
    session.left = true;
    Reply reply{makeEvent(), {}};
    reply.body.set("room", room).set("leaving", "ok");
    return reply;
}

}  // namespace sylk::videoroom

