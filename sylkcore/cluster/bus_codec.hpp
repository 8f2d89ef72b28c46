// The cluster bus's payloads as JSON: {"v":1,"type":...,"node":...} plus "event", "events" or
// "members". Decoding trusts nothing from the wire: a payload over kMaxPayload, a type or event
// kind it does not know, a field of the wrong type, an event whose data breaks its kind's schema
// (the hub's own readers check it, events.hpp) is refused with a message saying what is wrong.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "../api.hpp"
#include "bus_payload.hpp"

namespace sylk::cluster {

class SYLK_API BusCodec {
public:
    // NATS's default max_payload (1 MiB): nothing larger can travel, so nothing larger is read.
    static constexpr size_t kMaxPayload = 1024 * 1024;
    static constexpr size_t kMaxNodeId = 128;

    // Whether a hub event kind travels between nodes (chat, composing, roster, talking, file,
    // nickname, kick, mute). The others (direct, direct-ack, msrp-path) join plugins that hold
    // one connection on one node and stay there.
    static bool carries(const std::string& kind);
    // A node id: 1..kMaxNodeId bytes of [A-Za-z0-9._-] (a host name fits; no '/', which
    // separates the parts of a mapped member id).
    static bool validNodeId(std::string_view node);

    static std::string encode(const BusPayload& payload);
    // nullopt with *error set when the payload is refused.
    static std::optional<BusPayload> decode(std::string_view text, std::string* error);
    // The envelope every bus message shares (BusPayload here, AccountEvent in account_event_codec):
    // at most kMaxPayload bytes, a JSON object, "v" this version. Null Json and *error otherwise.
    static Json parseEnvelope(std::string_view text, std::string* error);
};

}  // namespace sylk::cluster
