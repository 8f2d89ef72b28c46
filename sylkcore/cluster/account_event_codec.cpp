#include "account_event_codec.hpp"

#include <array>
#include <stdexcept>

#include "bus_codec.hpp"
#include "room_subject.hpp"

namespace sylk::cluster {
namespace {

constexpr json_int_t kVersion = 1;
constexpr char kType[] = "account-event";

constexpr std::array<std::string_view, 5> kCarried{
    "call", "outgoing_message", "conversation_read", "message_removed", "conversation_removed",
};

struct Refused : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string readString(json_t* object, const char* key, size_t maxLength) {
    json_t* value = json_object_get(object, key);
    if (!json_is_string(value))
        throw Refused(std::string("'") + key + "' must be a string");
    size_t length = json_string_length(value);
    if (length > maxLength)
        throw Refused(std::string("'") + key + "' is longer than " + std::to_string(maxLength) + " bytes");
    return std::string(json_string_value(value), length);
}

AccountEvent decodeOrThrow(std::string_view text) {
    std::string envelopeError;
    Json root = BusCodec::parseEnvelope(text, &envelopeError);
    if (!root)
        throw Refused(envelopeError);
    if (readString(root.get(), "type", 32) != kType)
        throw Refused(std::string("'type' must be '") + kType + "'");
    AccountEvent decoded;
    decoded.node = readString(root.get(), "node", BusCodec::kMaxNodeId);
    if (!BusCodec::validNodeId(decoded.node))
        throw Refused("'node' must be 1-" + std::to_string(BusCodec::kMaxNodeId) + " characters of [A-Za-z0-9._-]");
    decoded.account = readString(root.get(), "account", AccountEventCodec::kMaxAccount);
    if (decoded.account.rfind("sip:", 0) != 0 && decoded.account.rfind("sips:", 0) != 0)
        throw Refused("'account' must be a sip: or sips: URI");
    json_t* event = root.member("event");
    if (!json_is_object(event))
        throw Refused("'event' must be an object");
    std::string name = readString(event, "event", 64);
    if (!AccountEventCodec::carries(name))
        throw Refused("event '" + name + "' does not travel between nodes");
    decoded.event = Json::borrow(event);
    return decoded;
}

}  // namespace

bool AccountEventCodec::carries(std::string_view name) {
    for (std::string_view carried : kCarried)
        if (name == carried)
            return true;
    return false;
}

std::string AccountEventCodec::subject(std::string_view account) {
    return "sylk.account." + RoomSubject::token(account) + ".events";
}

std::string AccountEventCodec::anyAccount() { return "sylk.account.*.events"; }

std::string AccountEventCodec::encode(const AccountEvent& event) {
    Json root = Json::object();
    root.set("v", kVersion).set("type", kType).set("node", event.node).set("account", event.account);
    root.set("event", event.event);
    return root.dump();
}

std::optional<AccountEvent> AccountEventCodec::decode(std::string_view text, std::string* error) {
    try {
        return decodeOrThrow(text);
    } catch (const Refused& e) {
        if (error)
            *error = e.what();
        return std::nullopt;
    }
}

}  // namespace sylk::cluster
