// The live nodes of the cluster: each node keeps its NodeRecord in bucket sylk_nodes (key: node
// id) and rewrites it every lease/3; the bucket's TTL drops a node that stops, so the list is
// the nodes alive within the last lease, with no membership protocol of our own.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "../api.hpp"
#include "kv_bucket.hpp"
#include "node_record.hpp"

namespace sylk::cluster {

class SYLK_API NodeRegistry {
public:
    static constexpr const char* kBucket = "sylk_nodes";

    // self.node must be a valid key (NodeRegistry::validNodeId).
    NodeRegistry(KvBucket& bucket, NodeRecord self);

    // Writes our record (again); false when NATS did not take it.
    bool announce();
    // Removes our record, so the others stop listing us before the TTL would.
    void withdraw();

    const NodeRecord& self() const { return self_; }
    // The nodes present now, ours included when announced; nullopt when NATS did not answer.
    std::optional<std::vector<NodeRecord>> nodes();
    // One node's record; nullopt when it is not there (or NATS did not answer).
    std::optional<NodeRecord> find(const std::string& node);

    // Node ids are keys as they are: 1 to 64 bytes of [A-Za-z0-9_-].
    static bool validNodeId(const std::string& node);

private:
    KvBucket& bucket_;
    const NodeRecord self_;
    std::mutex mutex_;
    uint64_t revision_ = 0;  // of our last write, for a withdraw that deletes only our own entry
};

}  // namespace sylk::cluster
