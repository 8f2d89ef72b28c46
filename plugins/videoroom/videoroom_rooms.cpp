// Room management of janus.plugin.sylk.videoroom: create, destroy, edit, exists, list,
// listparticipants, and their admin API forms. Stock-synchronous requests.
#include "sylkcore/files/file_store.hpp"
#include "sylkcore/log.hpp"
#include "videoroom_common.hpp"
#include "videoroom_plugin.hpp"
#include "videoroom_requests.hpp"

namespace sylk::videoroom {

// ------------------------------------------------------------------ synchronous requests

void VideoRoomPlugin::readRoomSettings(RequestReader& reader, RoomSettings& settings) {
    if (auto description = reader.optionalString("description", 256))
        settings.description = *description;
    if (auto pin = reader.optionalString("pin", 256))
        settings.pin = *pin;
    if (auto secret = reader.optionalString("secret", 256))
        settings.secret = *secret;
    if (auto publishers = reader.optionalInt("publishers", 1, 1000))
        settings.maxPublishers = *publishers;
    if (auto bitrate = reader.optionalInt("bitrate", 0, 100'000'000))
        settings.bitrate = static_cast<uint32_t>(*bitrate);
    if (auto isPrivate = reader.optionalBool("is_private"))
        settings.isPrivate = *isPrivate;
    if (auto record = reader.optionalBool("record"))
        settings.record = *record;
    if (auto codecs = reader.optionalString("audiocodec", 256))
        settings.audioCodecs = parseCodecList(*codecs, false);
    if (auto codecs = reader.optionalString("videocodec", 256))
        settings.videoCodecs = parseCodecList(*codecs, true);
}

Reply VideoRoomPlugin::createRoom(RequestReader& reader, bool checkAdminKey) {
    if (checkAdminKey && !adminKey_.empty() && reader.optionalString("admin_key", 256).value_or("") != adminKey_)
        throw RequestError(ErrorCode::VideoRoomUnauthorized, "unauthorized (wrong or missing admin_key)");
    RoomId id = RoomId::read(reader, false);
    if (id.empty())
        id = RoomId::fromString(std::to_string(randomId()));
    if (findRoom(id))
        throw RequestError(ErrorCode::VideoRoomRoomExists, "room '" + id.key + "' already exists");
    RoomSettings settings = defaults_;
    readRoomSettings(reader, settings);
    reader.optionalBool("permanent");  // accepted; rooms made by "create" last until "destroy"
    auto room = makeRoom(id, settings);
    Json reply = Json::object();
    reply.set("videoroom", "created").set("room", room->id.value).setBool("permanent", false);
    return Reply{reply, {}};
}

Reply VideoRoomPlugin::create(Session&, RequestReader& reader, const Request&) { return createRoom(reader, true); }

Reply VideoRoomPlugin::adminCreate(RequestReader& reader, const Request&) { return createRoom(reader, false); }

Reply VideoRoomPlugin::destroyRoomWith(RequestReader& reader, bool requireSecret) {
    RoomId id = RoomId::read(reader);
    auto room = findRoom(id);
    if (!room)
        throw RequestError(ErrorCode::VideoRoomNoSuchRoom, "no such room '" + id.key + "'");
    if (requireSecret)
        checkSecret(*room, reader);
    closeRoom(room, true);
    Json reply = Json::object();
    reply.set("videoroom", "destroyed").set("room", id.value);
    return Reply{reply, {}};
}

Reply VideoRoomPlugin::destroyRoom(Session&, RequestReader& reader, const Request&) { return destroyRoomWith(reader, true); }

// The admin API is already authorized by Janus's admin secret.
Reply VideoRoomPlugin::adminDestroy(RequestReader& reader, const Request&) { return destroyRoomWith(reader, false); }

Reply VideoRoomPlugin::edit(Session&, RequestReader& reader, const Request&) {
    RoomId id = RoomId::read(reader);
    auto room = findRoom(id);
    if (!room)
        throw RequestError(ErrorCode::VideoRoomNoSuchRoom, "no such room '" + id.key + "'");
    checkSecret(*room, reader);
    // Stock names: new_description, new_pin, new_secret, new_publishers, new_bitrate, new_is_private.
    if (auto value = reader.optionalString("new_description", 256))
        room->settings.description = *value;
    if (auto value = reader.optionalString("new_pin", 256)) {
        room->settings.pin = *value;
        if (room->hubRoom())
            room->hubRoom()->setPin(kPackage, *value);
    }
    if (auto value = reader.optionalString("new_secret", 256))
        room->settings.secret = *value;
    if (auto value = reader.optionalInt("new_publishers", 1, 1000))
        room->settings.maxPublishers = *value;
    if (auto value = reader.optionalInt("new_bitrate", 0, 100'000'000)) {
        room->settings.bitrate = static_cast<uint32_t>(*value);
        for (auto& [participantId, participant] : room->participants)
            participant->setBitrateCap(room->settings.bitrate);
    }
    if (auto value = reader.optionalBool("new_is_private"))
        room->settings.isPrivate = *value;
    Json reply = Json::object();
    reply.set("videoroom", "edited").set("room", room->id.value);
    return Reply{reply, {}};
}

Reply VideoRoomPlugin::exists(Session&, RequestReader& reader, const Request&) {
    RoomId id = RoomId::read(reader);
    Json reply = Json::object();
    reply.set("videoroom", "success").set("room", id.value).setBool("exists", findRoom(id) != nullptr);
    return Reply{reply, {}};
}

Reply VideoRoomPlugin::list(Session&, RequestReader&, const Request&) {
    Json rooms = Json::array();
    for (const auto& [key, room] : rooms_) {
        if (!room->settings.isPrivate)
            rooms.append(room->summary());
    }
    Json reply = Json::object();
    reply.set("videoroom", "success").set("list", rooms);
    return Reply{reply, {}};
}

Reply VideoRoomPlugin::adminListRooms(RequestReader&, const Request&) {
    Json rooms = Json::array();
    for (const auto& [key, room] : rooms_)
        rooms.append(room->summary());
    Json reply = Json::object();
    reply.set("videoroom", "success").set("list", rooms);
    return Reply{reply, {}};
}

Reply VideoRoomPlugin::listParticipants(Session&, RequestReader& reader, const Request&) {
    RoomId id = RoomId::read(reader);
    auto room = findRoom(id);
    if (!room)
        throw RequestError(ErrorCode::VideoRoomNoSuchRoom, "no such room '" + id.key + "'");
    Json participants = Json::array();
    for (const auto& [participantId, participant] : room->participants) {
        Json entry = Json::object();
        entry.set("id", static_cast<json_int_t>(participantId))
            .set("display", participant->display)
            .setBool("publisher", participant->active)
            .setBool("moderator", participant->moderator)
            .setBool("hand_raised", participant->handRaised);
        participants.append(entry);
    }
    Json reply = Json::object();
    reply.set("videoroom", "participants").set("room", room->id.value).set("participants", participants);
    if (room->hubRoom())  // Sylk: who is in the room through other plugins (the audio mixer, SIP, ...)
        reply.set("attendees", room->hubRoom()->membersJsonExcept(kPackage));
    return Reply{reply, {}};
}

}  // namespace sylk::videoroom

