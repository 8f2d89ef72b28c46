#include "node_registry.hpp"

namespace sylk::cluster {

NodeRegistry::NodeRegistry(KvBucket& bucket, NodeRecord self) : bucket_(bucket), self_(std::move(self)) {}

bool NodeRegistry::announce() {
    KvBucket::Write written = bucket_.put(self_.node, self_.encode());
    if (written.outcome != KvBucket::Outcome::Done)
        return false;
    std::lock_guard<std::mutex> lock(mutex_);
    revision_ = written.revision;
    return true;
}

void NodeRegistry::withdraw() {
    uint64_t revision;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        revision = revision_;
        revision_ = 0;
    }
    if (revision != 0)
        bucket_.remove(self_.node, revision);
}

std::optional<std::vector<NodeRecord>> NodeRegistry::nodes() {
    std::optional<std::vector<std::string>> keys = bucket_.keys();
    if (!keys)
        return std::nullopt;
    std::vector<NodeRecord> nodes;
    for (const std::string& key : *keys) {
        KvBucket::Read read = bucket_.get(key);
        if (!read.reachable)
            return std::nullopt;
        if (!read.entry)
            continue;  // expired or withdrawn between the two calls
        if (std::optional<NodeRecord> record = NodeRecord::decode(read.entry->value))
            nodes.push_back(std::move(*record));
    }
    return nodes;
}

std::optional<NodeRecord> NodeRegistry::find(const std::string& node) {
    if (!validNodeId(node))
        return std::nullopt;
    KvBucket::Read read = bucket_.get(node);
    if (!read.entry)
        return std::nullopt;
    return NodeRecord::decode(read.entry->value);
}

bool NodeRegistry::validNodeId(const std::string& node) {
    if (node.empty() || node.size() > 64)
        return false;
    for (unsigned char c : node) {
        bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!allowed)
            return false;
    }
    return true;
}

}  // namespace sylk::cluster
