// Fuzz target: an account event as a node reads it from the cluster bus
// (AccountEventCodec::decode, sylkcore/cluster). Invariants (abort when broken): a refusal says
// why; what decodes has a valid node id, a SIP account and an event that travels, and encodes to
// a payload that decodes to the same thing.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "sylkcore/cluster/account_event_codec.hpp"
#include "sylkcore/cluster/bus_codec.hpp"

using namespace sylk::cluster;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string input(reinterpret_cast<const char*>(data), size);
    std::string error;
    auto decoded = AccountEventCodec::decode(input, &error);
    if (!decoded) {
        if (error.empty())
            abort();
        return 0;
    }
    if (!BusCodec::validNodeId(decoded->node) || decoded->account.rfind("sip", 0) != 0)
        abort();
    json_t* name = decoded->event.member("event");
    if (!json_is_string(name) || !AccountEventCodec::carries(json_string_value(name)))
        abort();
    std::string again = AccountEventCodec::encode(*decoded);
    auto second = AccountEventCodec::decode(again, &error);
    if (!second || second->node != decoded->node || second->account != decoded->account ||
        AccountEventCodec::encode(*second) != again)
        abort();
    return 0;
}
