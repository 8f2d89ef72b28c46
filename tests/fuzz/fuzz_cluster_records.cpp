// Fuzz target for what a cluster node reads from NATS that other nodes wrote: lease and node
// records (sylkcore/cluster). Whatever decodes must encode and decode to the same record; the
// same bytes as a room name give a key of [-_=A-Za-z0-9] only, three bytes per escaped byte.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sylkcore/cluster/lease_record.hpp"
#include "sylkcore/cluster/node_record.hpp"
#include "sylkcore/cluster/room_subject.hpp"

using sylk::cluster::LeaseRecord;
using sylk::cluster::NodeRecord;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    if (auto lease = LeaseRecord::decode(bytes)) {
        auto again = LeaseRecord::decode(lease->encode());
        if (!again || again->node != lease->node || again->since != lease->since)
            __builtin_trap();
    }
    if (auto node = NodeRecord::decode(bytes)) {
        auto again = NodeRecord::decode(node->encode());
        if (!again || again->node != node->node || again->wsUrl != node->wsUrl || again->sipUri != node->sipUri ||
            again->httpUrl != node->httpUrl || again->started != node->started)
            __builtin_trap();
    }
    std::string key = sylk::cluster::RoomSubject::token(std::string(bytes));
    for (char c : key) {
        bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                       c == '-' || c == '=';
        if (!allowed)
            __builtin_trap();
    }
    if (key.size() < size || (key.size() - size) % 2 != 0)
        __builtin_trap();
    return 0;
}
