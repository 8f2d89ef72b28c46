// Fuzz target: what a node reads from the cluster bus (sylkcore/cluster). The first byte picks
// the reader: "0" a bus payload (BusCodec::decode), "1" a subject's room token
// (RoomSubject::roomName), "2" a room name made into a token. Invariants (abort when broken):
// a payload that decodes encodes to a payload that decodes to the same thing; a token that
// decodes is exactly the token of its name; every name's token decodes to the name.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "sylkcore/cluster/bus_codec.hpp"
#include "sylkcore/cluster/room_subject.hpp"

using namespace sylk::cluster;

namespace {

bool tokenSafe(const std::string& token) {
    for (char c : token) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                  c == '=';
        if (!ok)
            return false;
    }
    return true;
}

void checkPayload(const std::string& input) {
    std::string error;
    auto payload = BusCodec::decode(input, &error);
    if (!payload) {
        if (error.empty())
            abort();  // a refusal always says why
        return;
    }
    if (!BusCodec::validNodeId(payload->node))
        abort();
    if (payload->type == BusPayload::Type::Event && payload->events.size() != 1)
        abort();
    for (const auto& event : payload->events)
        if (!BusCodec::carries(event.kind) || event.member.empty())
            abort();
    std::string again = BusCodec::encode(*payload);
    auto second = BusCodec::decode(again, &error);
    if (!second || second->type != payload->type || second->node != payload->node ||
        second->events.size() != payload->events.size() || second->members.size() != payload->members.size())
        abort();
    if (BusCodec::encode(*second) != again)
        abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1)
        return 0;
    std::string input(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0]) {
    case '0':
        checkPayload(input);
        break;
    case '1': {
        auto name = RoomSubject::roomName(input);
        if (name && RoomSubject::token(*name) != input)
            abort();
        break;
    }
    case '2': {
        std::string token = RoomSubject::token(input);
        auto name = RoomSubject::roomName(token);
        if (!tokenSafe(token) || !name || *name != input)
            abort();
        break;
    }
    default:
        break;
    }
    return 0;
}
