#include "bus_codec.hpp"

#include <array>
#include <stdexcept>

#include "../hub/events.hpp"
#include "../json.hpp"

namespace sylk::cluster {
namespace {

constexpr json_int_t kVersion = 1;
constexpr size_t kMaxMemberId = 1024;  // a mapped id: janus.plugin.sylk.cluster/<node>/<id>

struct TypeName {
    BusPayload::Type type;
    const char* name;
};
constexpr std::array<TypeName, 6> kTypes{{
    {BusPayload::Type::Event, "event"},
    {BusPayload::Type::RosterRequest, "roster-request"},
    {BusPayload::Type::Roster, "roster"},
    {BusPayload::Type::HistoryRequest, "history-request"},
    {BusPayload::Type::History, "history"},
    {BusPayload::Type::NodeGone, "node-gone"},
}};

constexpr std::array<const char*, 11> kCarried{
    hub::kind::Joined, hub::kind::Updated, hub::kind::Left, hub::kind::Chat, hub::kind::Composing,
    hub::kind::FileShared, hub::kind::Talking, hub::kind::StoppedTalking, hub::kind::Nickname,
    hub::kind::Kick, hub::kind::Mute,
};

const char* typeName(BusPayload::Type type) {
    for (const auto& entry : kTypes)
        if (entry.type == type)
            return entry.name;
    return "?";
}

// Refusals carry the reason; decode() turns them into its error.
struct Refused : std::runtime_error {
    using std::runtime_error::runtime_error;
};

const std::string& requireString(json_t* object, const char* key, const std::string& where, std::string& out,
                                 size_t maxLength) {
    json_t* value = json_object_get(object, key);
    if (!json_is_string(value))
        throw Refused(where + ": '" + key + "' must be a string");
    size_t length = json_string_length(value);
    if (length > maxLength)
        throw Refused(where + ": '" + key + "' is longer than " + std::to_string(maxLength) + " bytes");
    out.assign(json_string_value(value), length);
    return out;
}

Json eventJson(const hub::RoomEvent& event) {
    Json json = Json::object().set("kind", event.kind).set("member", event.member).set("data", event.data);
    if (event.sequence)
        json.set("seq", static_cast<json_int_t>(event.sequence));
    return json;
}

// An optional sequence number: absent is 0, anything but a non-negative integer is refused.
uint64_t optionalSequence(json_t* object, const char* key, const std::string& where) {
    json_t* value = json_object_get(object, key);
    if (!value)
        return 0;
    if (!json_is_integer(value) || json_integer_value(value) < 0)
        throw Refused(where + ": '" + key + "' must be a non-negative integer");
    return static_cast<uint64_t>(json_integer_value(value));
}

// Runs the hub's reader of the kind: the event must be one every plugin can read.
void checkSchema(const hub::RoomEvent& event) {
    const std::string& kind = event.kind;
    if (kind == hub::kind::Joined || kind == hub::kind::Updated || kind == hub::kind::Left)
        hub::readMember(event);
    else if (kind == hub::kind::Chat)
        hub::readChat(event);
    else if (kind == hub::kind::Composing)
        hub::readComposing(event);
    else if (kind == hub::kind::FileShared)
        hub::readFileShared(event);
    else if (kind == hub::kind::Nickname)
        hub::readNickname(event);
    else if (kind == hub::kind::Kick)
        hub::readKick(event);
    else if (kind == hub::kind::Mute)
        hub::readMute(event);
    else if (!json_is_object(event.data.get()))  // talking, stopped-talking: an empty object
        throw hub::InvalidHubEvent("hub event '" + kind + "': the payload must be a JSON object");
}

hub::RoomEvent readEvent(json_t* value, const std::string& where) {
    if (!json_is_object(value))
        throw Refused(where + " must be an object");
    hub::RoomEvent event;
    requireString(value, "kind", where, event.kind, 64);
    if (!BusCodec::carries(event.kind))
        throw Refused(where + ": kind '" + event.kind + "' does not travel on the bus");
    requireString(value, "member", where, event.member, kMaxMemberId);
    if (event.member.empty())
        throw Refused(where + ": 'member' must not be empty");
    json_t* data = json_object_get(value, "data");
    if (!json_is_object(data))
        throw Refused(where + ": 'data' must be an object");
    event.data = Json::borrow(data);
    event.plugin = "bus";  // names the poster in the readers' messages; the bridge sets its own
    try {
        checkSchema(event);
    } catch (const hub::InvalidHubEvent& e) {
        throw Refused(where + ": " + e.what());
    }
    event.plugin.clear();
    event.sequence = optionalSequence(value, "seq", where);
    return event;
}

hub::Member readMemberEntry(json_t* value, const std::string& where) {
    if (!json_is_object(value))
        throw Refused(where + " must be an object");
    hub::RoomEvent event;
    event.kind = hub::kind::Joined;
    requireString(value, "id", where, event.member, kMaxMemberId);
    if (event.member.empty())
        throw Refused(where + ": 'id' must not be empty");
    event.data = Json::borrow(value);
    event.plugin = "bus";
    try {
        return hub::readMember(event);
    } catch (const hub::InvalidHubEvent& e) {
        throw Refused(where + ": " + e.what());
    }
}

BusPayload decodeOrThrow(std::string_view text) {
    std::string envelopeError;
    Json root = BusCodec::parseEnvelope(text, &envelopeError);
    if (!root)
        throw Refused(envelopeError);

    BusPayload payload;
    std::string type;
    requireString(root.get(), "type", "payload", type, 32);
    bool known = false;
    for (const auto& entry : kTypes) {
        if (type == entry.name) {
            payload.type = entry.type;
            known = true;
        }
    }
    if (!known)
        throw Refused("unknown type '" + type + "'");
    requireString(root.get(), "node", "payload", payload.node, BusCodec::kMaxNodeId);
    if (!BusCodec::validNodeId(payload.node))
        throw Refused("'node' must be 1-" + std::to_string(BusCodec::kMaxNodeId) + " characters of [A-Za-z0-9._-]");

    switch (payload.type) {
    case BusPayload::Type::Event:
        payload.events.push_back(readEvent(root.member("event"), "'event'"));
        break;
    case BusPayload::Type::History: {
        json_t* events = root.member("events");
        if (!json_is_array(events))
            throw Refused("'events' must be an array");
        for (size_t i = 0; i < json_array_size(events); ++i) {
            hub::RoomEvent event = readEvent(json_array_get(events, i), "'events'[" + std::to_string(i) + "]");
            if (event.kind != hub::kind::Chat)
                throw Refused("'events'[" + std::to_string(i) + "]: history holds only chat");
            payload.events.push_back(std::move(event));
        }
        break;
    }
    case BusPayload::Type::Roster: {
        json_t* members = root.member("members");
        if (!json_is_array(members))
            throw Refused("'members' must be an array");
        for (size_t i = 0; i < json_array_size(members); ++i)
            payload.members.push_back(readMemberEntry(json_array_get(members, i), "'members'[" + std::to_string(i) + "]"));
        payload.through = optionalSequence(root.get(), "through", "payload");
        break;
    }
    case BusPayload::Type::RosterRequest:
    case BusPayload::Type::HistoryRequest:
    case BusPayload::Type::NodeGone:
        break;
    }
    return payload;
}

}  // namespace

bool BusCodec::carries(const std::string& kind) {
    for (const char* carried : kCarried)
        if (kind == carried)
            return true;
    return false;
}

bool BusCodec::validNodeId(std::string_view node) {
    if (node.empty() || node.size() > kMaxNodeId)
        return false;
    for (char c : node) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                  c == '-';
        if (!ok)
            return false;
    }
    return true;
}

std::string BusCodec::encode(const BusPayload& payload) {
    Json root = Json::object();
    root.set("v", kVersion).set("type", typeName(payload.type)).set("node", payload.node);
    switch (payload.type) {
    case BusPayload::Type::Event:
        if (!payload.events.empty())
            root.set("event", eventJson(payload.events.front()));
        break;
    case BusPayload::Type::History: {
        Json events = Json::array();
        for (const auto& event : payload.events)
            events.append(eventJson(event));
        root.set("events", std::move(events));
        break;
    }
    case BusPayload::Type::Roster: {
        Json members = Json::array();
        for (const auto& member : payload.members) {
            Json entry = hub::memberPayload(member);
            entry.set("id", member.id);
            members.append(std::move(entry));
        }
        root.set("members", std::move(members));
        if (payload.through)
            root.set("through", static_cast<json_int_t>(payload.through));
        break;
    }
    case BusPayload::Type::RosterRequest:
    case BusPayload::Type::HistoryRequest:
    case BusPayload::Type::NodeGone:
        break;
    }
    return root.dump();
}

Json BusCodec::parseEnvelope(std::string_view text, std::string* error) {
    auto refuse = [error](std::string why) {
        if (error)
            *error = std::move(why);
        return Json();
    };
    if (text.size() > kMaxPayload)
        return refuse("payload of " + std::to_string(text.size()) + " bytes is over the bus limit of " +
                      std::to_string(kMaxPayload));
    std::string parseError;
    Json root = Json::parse(text, &parseError);
    if (!root)
        return refuse("not JSON: " + parseError);
    if (!json_is_object(root.get()))
        return refuse("not a JSON object");
    json_t* version = root.member("v");
    if (!json_is_integer(version) || json_integer_value(version) != kVersion)
        return refuse("'v' must be " + std::to_string(kVersion));
    return root;
}

std::optional<BusPayload> BusCodec::decode(std::string_view text, std::string* error) {
    try {
        return decodeOrThrow(text);
    } catch (const Refused& e) {
        if (error)
            *error = e.what();
    } catch (const std::exception& e) {  // Json's own failures (allocation): refused too, never thrown on
        if (error)
            *error = std::string("unreadable: ") + e.what();
    }
    return std::nullopt;
}

}  // namespace sylk::cluster
