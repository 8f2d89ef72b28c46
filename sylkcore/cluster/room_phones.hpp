// The phones in each room, as the room's owner node knows them, kept in JetStream key-value
// bucket sylk_phones (key "<node>.<room token>", the value a BusCodec roster of that node's
// callable members: the members with a `call_back`). A node that dies takes its SIP dialogs
// with it; the node that takes a room over calls its phones back (docs/cluster.md, "Phones of a
// dead node"). Nodes that had the room open know the phones from the bus already; this record
// is for the rooms nobody else had open (a phone-only conference on the dead node).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "../api.hpp"
#include "../hub/room_event.hpp"
#include "kv_bucket.hpp"

namespace sylk::cluster {

class SYLK_API RoomPhones {
public:
    static constexpr const char* kBucket = "sylk_phones";

    // bucket: sylk_phones; node: this node's id (NodeRegistry::validNodeId).
    RoomPhones(KvBucket& bucket, std::string node);

    // Writes this node's phones of room, or removes the record when phones is empty. Writes only
    // what changed since the last call for the room, and rewrites a record after `refresh` (the
    // bucket's TTL drops what its node stopped writing). False when NATS did not take it (the
    // next call tries again).
    bool publish(const std::string& room, const std::vector<hub::Member>& phones, std::chrono::milliseconds refresh);
    // Removes the records of rooms not in `rooms` (they ended here, or went to another node).
    void keepOnly(const std::vector<std::string>& rooms);

    // The phones `node` recorded, by room; nullopt when NATS did not answer. Records that do not
    // decode are skipped (logged).
    std::optional<std::map<std::string, std::vector<hub::Member>>> ofNode(const std::string& node);
    // Removes `node`'s record of room (the phones were called back from here).
    void forget(const std::string& node, const std::string& room);

    // Rooms whose record of ours NATS has taken.
    size_t recorded() const { return written_.size(); }

    static std::string key(const std::string& node, const std::string& room);

private:
    struct Written {
        std::string value;
        uint64_t revision = 0;
        std::chrono::steady_clock::time_point at;
    };

    KvBucket& bucket_;
    const std::string node_;
    std::map<std::string, Written> written_;  // room -> our record there (one caller: the lease loop)
};

}  // namespace sylk::cluster
