#include "videoroom_events.hpp"

namespace sylk::videoroom {

Json VideoRoomEvents::room(const char* event, const VideoRoom& room) {
    return Json::object().set("event", event).set("room", room.id.value);
}

Json VideoRoomEvents::joined(const Publisher& publisher) {
    Json event = participant("joined", publisher);
    event.set("private_id", static_cast<json_int_t>(publisher.privateId));
    return event;
}

Json VideoRoomEvents::configured(const Publisher& publisher) { return published("configured", publisher); }

Json VideoRoomEvents::published(const char* name, const Publisher& publisher) {
    Json event = participant(name, publisher);
    Json streams = Json::array();
    for (const auto& stream : publisher.streams())
        streams.append(stream->describe());
    event.set("streams", streams);
    return event;
}

Json VideoRoomEvents::participant(const char* name, const Publisher& publisher) {
    Json event = Json::object();
    event.set("event", name).set("room", publisher.room->id.value).set("id", static_cast<json_int_t>(publisher.id));
    if (!publisher.display.empty())
        event.set("display", publisher.display);
    return event;
}

Json VideoRoomEvents::subscriber(const char* name, const Subscriber& subscriber) {
    Json event = Json::object();
    event.set("event", name)
        .set("room", subscriber.room->id.value)
        .set("private_id", static_cast<json_int_t>(subscriber.privateId))
        .set("streams", subscriber.describeStreams());
    return event;
}

Json VideoRoomEvents::talking(const Publisher& publisher, bool talking, int averageLevel) {
    Json event = Json::object();
    event.set("videoroom", talking ? "talking" : "stopped-talking")
        .set("room", publisher.room->id.value)
        .set("id", static_cast<json_int_t>(publisher.id))
        .set("audio-level-dBov-avg", averageLevel);
    return event;
}

Json VideoRoomEvents::moderated(const Publisher& publisher, const PublishedStream& stream, bool muted) {
    Json event = Json::object();
    event.set("videoroom", "moderated")
        .set("room", publisher.room->id.value)
        .set("id", static_cast<json_int_t>(publisher.id))
        .set("mid", stream.mid)
        .set("moderation", muted ? "muted" : "unmuted");
    return event;
}

}  // namespace sylk::videoroom
