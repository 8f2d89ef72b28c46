#include "events.hpp"

#include <glib.h>

#include "../request_error.hpp"
#include "../request_reader.hpp"

namespace sylk::hub {
namespace {

// Generous bounds: plugins enforce their own (smaller) limits when they take a message; these
// only keep a faulty poster from handing every listener something absurd.
constexpr size_t kMaxText = 8 * 1024 * 1024;  // an MSRP image, base64
constexpr size_t kMaxName = 1024;
constexpr size_t kMaxId = 256;
constexpr size_t kMaxUri = 2048;
constexpr int64_t kMaxInt = INT64_MAX;

// Runs read over the event's payload after checking its kind; a schema violation (a
// RequestError from RequestReader) becomes an InvalidHubEvent naming the kind and the poster.
// Unknown fields are allowed: a newer plugin may add some, older readers skip them.
template <class Read>
auto readPayload(const RoomEvent& event, std::initializer_list<const char*> kinds, Read read) {
    bool expected = false;
    for (const char* kind : kinds)
        expected = expected || event.kind == kind;
    std::string context = "hub event '" + event.kind + "' from " + (event.plugin.empty() ? "?" : event.plugin);
    if (!expected)
        throw InvalidHubEvent(context + ": read as '" + *kinds.begin() + "', a different kind");
    if (!json_is_object(event.data.get()))
        throw InvalidHubEvent(context + ": the payload must be a JSON object");
    try {
        RequestReader reader(event.data.get());
        return read(reader);
    } catch (const RequestError& e) {
        throw InvalidHubEvent(context + ": " + e.what());
    }
}

Json withOptional(Json json, const char* key, const std::string& value) {
    if (!value.empty())
        json.set(key, value);
    return json;
}

}  // namespace

InvalidHubEvent::InvalidHubEvent(const std::string& message) : std::runtime_error(message) {}
InvalidHubEvent::~InvalidHubEvent() = default;

// ------------------------------------------------------------------ roster

Json memberPayload(const Member& member) {
    Json data = Json::object();
    data.set("display", member.display).set("plugin", member.plugin);
    data.setBool("muted", member.muted).setBool("muted_by_moderator", member.mutedByModerator).setBool("on_hold", member.onHold);
    data.setBool("moderator", member.moderator);
    if (!member.callBack.empty())
        data.set("call_back", member.callBack);
    return data;
}

Json leftPayload(const Member& member) {
    Json data = Json::object();
    data.set("display", member.display).set("plugin", member.plugin);
    return data;
}

Member readMember(const RoomEvent& event) {
    return readPayload(event, {kind::Joined, kind::Updated, kind::Left}, [&](RequestReader& reader) {
        Member member;
        member.id = event.member;
        if (member.id.empty())
            throw RequestError(ErrorCode::MissingField, "the event names no member");
        member.display = reader.optionalString("display", kMaxName).value_or("");
        member.plugin = reader.optionalString("plugin", kMaxName).value_or(event.plugin);
        member.muted = reader.optionalBool("muted").value_or(false);
        member.mutedByModerator = reader.optionalBool("muted_by_moderator").value_or(false);
        member.onHold = reader.optionalBool("on_hold").value_or(false);
        member.moderator = reader.optionalBool("moderator").value_or(false);
        member.callBack = reader.optionalString("call_back", 512).value_or("");
        return member;
    });
}

// ------------------------------------------------------------------ chat

std::string newMessageId() {
    gchar* uuid = g_uuid_string_random();
    std::string id = uuid;
    g_free(uuid);
    return id;
}

int64_t nowMs() { return g_get_real_time() / 1000; }

EventPayload chat(const ChatMessage& message) {
    Json data = Json::object();
    data.set("id", message.id)
        .set("display", message.display)
        .set("content_type", message.contentType)
        .set("text", message.text)
        .set("timestamp", static_cast<json_int_t>(message.timestamp));
    data = withOptional(std::move(data), "uri", message.uri);
    data = withOptional(std::move(data), "to", message.to);
    data = withOptional(std::move(data), "encoding", message.encoding);
    return EventPayload{kind::Chat, std::move(data)};
}

ChatMessage readChat(const RoomEvent& event) {
    return readPayload(event, {kind::Chat}, [](RequestReader& reader) {
        ChatMessage message;
        message.id = reader.requireString("id", kMaxId);
        if (message.id.empty())
            throw RequestError(ErrorCode::InvalidField, "field 'id' must not be empty");
        message.display = reader.optionalString("display", kMaxName).value_or("");
        message.uri = reader.optionalString("uri", kMaxUri).value_or("");
        message.contentType = reader.optionalString("content_type", kMaxName).value_or("text/plain");
        message.text = reader.requireString("text", kMaxText);
        message.timestamp = reader.requireInt("timestamp", 0, kMaxInt);
        message.to = reader.optionalString("to", kMaxId).value_or("");
        message.encoding = reader.optionalString("encoding", 16).value_or("");
        if (!message.encoding.empty() && message.encoding != "base64")
            throw RequestError(ErrorCode::InvalidField, "field 'encoding' must be \"base64\" or absent");
        return message;
    });
}

// ------------------------------------------------------------------ composing

EventPayload composing(const ComposingState& state) {
    Json data = Json::object();
    data.set("display", state.display).setBool("active", state.active);
    data = withOptional(std::move(data), "to", state.to);
    return EventPayload{kind::Composing, std::move(data)};
}

ComposingState readComposing(const RoomEvent& event) {
    return readPayload(event, {kind::Composing}, [](RequestReader& reader) {
        ComposingState state;
        state.display = reader.optionalString("display", kMaxName).value_or("");
        state.active = reader.requireBool("active");
        state.to = reader.optionalString("to", kMaxId).value_or("");
        return state;
    });
}

// ------------------------------------------------------------------ nickname

EventPayload nickname(const NicknameChange& change) {
    Json data = Json::object();
    data.set("nickname", change.nickname);
    return EventPayload{kind::Nickname, std::move(data)};
}

NicknameChange readNickname(const RoomEvent& event) {
    return readPayload(event, {kind::Nickname}, [&](RequestReader& reader) {
        if (event.member.empty())
            throw RequestError(ErrorCode::MissingField, "the event names no member");
        NicknameChange change;
        change.nickname = reader.requireString("nickname", kMaxName);
        if (change.nickname.empty())
            throw RequestError(ErrorCode::InvalidField, "field 'nickname' must not be empty");
        return change;
    });
}

// ------------------------------------------------------------------ files

Json fileNoticeJson(const FileNotice& file) {
    Json json = Json::object();
    json.set("id", file.id)
        .set("name", file.name)
        .set("size", static_cast<json_int_t>(file.size))
        .set("from", file.from)
        .set("display", file.display)
        .set("created", static_cast<json_int_t>(file.created));
    if (!file.sha1.empty())
        json.set("sha1", file.sha1);
    if (!file.type.empty())
        json.set("type", file.type);
    return json;
}

EventPayload fileShared(const FileNotice& file) { return EventPayload{kind::FileShared, fileNoticeJson(file)}; }

FileNotice readFileShared(const RoomEvent& event) {
    return readPayload(event, {kind::FileShared}, [](RequestReader& reader) {
        FileNotice file;
        file.id = reader.requireString("id", kMaxId);
        file.name = reader.requireString("name", kMaxName);
        file.size = static_cast<uint64_t>(reader.requireInt("size", 0, kMaxInt));
        file.from = reader.optionalString("from", kMaxId).value_or("");
        file.display = reader.optionalString("display", kMaxName).value_or("");
        file.created = reader.requireInt("created", 0, kMaxInt);
        file.sha1 = reader.optionalString("sha1", 40).value_or("");
        file.type = reader.optionalString("type", kMaxName).value_or("");
        return file;
    });
}

// ------------------------------------------------------------------ voice activity

EventPayload talking(bool talking) { return EventPayload{talking ? kind::Talking : kind::StoppedTalking, Json::object()}; }

// ------------------------------------------------------------------ direct

EventPayload direct(const DirectMessage& message) {
    Json data = Json::object();
    data.set("content_type", message.contentType).set("body", message.body);
    if (!message.ackId.empty())
        data.set("ack_id", message.ackId);
    return EventPayload{kind::Direct, std::move(data)};
}

DirectMessage readDirect(const RoomEvent& event) {
    return readPayload(event, {kind::Direct}, [](RequestReader& reader) {
        DirectMessage message;
        message.contentType = reader.requireString("content_type", 256);
        if (message.contentType.empty())
            throw RequestError(ErrorCode::InvalidField, "field 'content_type' must not be empty");
        message.body = reader.requireString("body", 64 * 1024 * 1024);
        message.ackId = reader.optionalString("ack_id", 256).value_or("");
        return message;
    });
}

EventPayload directAck(const DirectAck& ack) {
    Json data = Json::object();
    data.set("ack_id", ack.ackId).set("status", static_cast<json_int_t>(ack.status));
    return EventPayload{kind::DirectAck, std::move(data)};
}

DirectAck readDirectAck(const RoomEvent& event) {
    return readPayload(event, {kind::DirectAck}, [](RequestReader& reader) {
        DirectAck ack;
        ack.ackId = reader.requireString("ack_id", 256);
        if (ack.ackId.empty())
            throw RequestError(ErrorCode::InvalidField, "field 'ack_id' must not be empty");
        ack.status = static_cast<int>(reader.requireInt("status", 200, 699));
        return ack;
    });
}

// ------------------------------------------------------------------ msrp-path

EventPayload msrpPath(const MsrpPathChange& change) {
    Json data = Json::object();
    data.set("session", change.session).set("path", Json::stringArray(change.path));
    return EventPayload{kind::MsrpPath, std::move(data)};
}

MsrpPathChange readMsrpPath(const RoomEvent& event) {
    return readPayload(event, {kind::MsrpPath}, [](RequestReader& reader) {
        MsrpPathChange change;
        change.session = reader.requireString("session", 256);
        if (change.session.empty())
            throw RequestError(ErrorCode::InvalidField, "field 'session' must not be empty");
        json_t* path = reader.optionalArray("path", 16);
        if (!path || json_array_size(path) == 0)
            throw RequestError(ErrorCode::InvalidField, "field 'path' must be a non-empty array of URIs");
        size_t index;
        json_t* uri;
        json_array_foreach(path, index, uri) {
            if (!json_is_string(uri) || json_string_length(uri) == 0 || json_string_length(uri) > 1024)
                throw RequestError(ErrorCode::InvalidField, "field 'path' must hold URIs (non-empty strings)");
            change.path.emplace_back(json_string_value(uri));
        }
        return change;
    });
}

// ------------------------------------------------------------------ kick

EventPayload kick(const KickOrder& order) {
    Json data = Json::object();
    data.set("target", order.target);
    data = withOptional(std::move(data), "display", order.display);
    data = withOptional(std::move(data), "reason", order.reason);
    return EventPayload{kind::Kick, std::move(data)};
}

KickOrder readKick(const RoomEvent& event) {
    return readPayload(event, {kind::Kick}, [&](RequestReader& reader) {
        if (event.member.empty())
            throw RequestError(ErrorCode::MissingField, "the event names no kicker");
        KickOrder order;
        order.target = reader.requireString("target", kMaxId);
        if (order.target.empty())
            throw RequestError(ErrorCode::InvalidField, "field 'target' must not be empty");
        order.display = reader.optionalString("display", kMaxName).value_or("");
        order.reason = reader.optionalString("reason", kMaxName).value_or("");
        return order;
    });
}

// ------------------------------------------------------------------ mute

EventPayload mute(const MuteOrder& order) {
    Json data = Json::object();
    data.set("target", order.target).setBool("muted", order.muted);
    data = withOptional(std::move(data), "display", order.display);
    return EventPayload{kind::Mute, std::move(data)};
}

MuteOrder readMute(const RoomEvent& event) {
    return readPayload(event, {kind::Mute}, [&](RequestReader& reader) {
        if (event.member.empty())
            throw RequestError(ErrorCode::MissingField, "the event names no moderator");
        MuteOrder order;
        order.target = reader.requireString("target", kMaxId);
        if (order.target.empty())
            throw RequestError(ErrorCode::InvalidField, "field 'target' must not be empty");
        order.muted = reader.requireBool("muted");  // no default: an order must say which way
        order.display = reader.optionalString("display", kMaxName).value_or("");
        return order;
    });
}

}  // namespace sylk::hub
