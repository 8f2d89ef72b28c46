// One JetStream key-value bucket, opened (or made) with a TTL. The operations leases need, each
// with its outcome spelled out: a lease holder must tell "somebody else wrote this key" (the
// lease is lost) from "NATS did not answer" (the lease holds until its own deadline).
#pragma once

#include <nats/nats.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "../api.hpp"

namespace sylk::cluster {

class SYLK_API KvBucket {
public:
    enum class Outcome {
        Done,
        Conflict,     // the key exists (create) or has another revision (update, remove)
        Unreachable,  // no answer from NATS in time, or not connected: nothing is known
    };
    struct Write {
        Outcome outcome;
        uint64_t revision = 0;  // the key's new revision when Done
    };
    struct Entry {
        std::string value;
        uint64_t revision = 0;
    };
    struct Read {
        bool reachable = false;
        std::optional<Entry> entry;  // absent: no such key (or deleted, or expired)
    };

    // Opens the bucket, making it when it does not exist yet. Every entry vanishes ttl after its
    // last write. Throws std::runtime_error when NATS does not answer or refuses.
    KvBucket(jsCtx* jetStream, const std::string& name, std::chrono::milliseconds ttl);
    ~KvBucket();
    KvBucket(const KvBucket&) = delete;
    KvBucket& operator=(const KvBucket&) = delete;

    const std::string& name() const { return name_; }

    // Writes key only if it does not exist (a deleted or expired key does not).
    Write create(const std::string& key, const std::string& value);
    // Writes key only if its revision is still lastRevision (compare-and-set).
    Write update(const std::string& key, const std::string& value, uint64_t lastRevision);
    // Writes key whatever is there.
    Write put(const std::string& key, const std::string& value);
    // Deletes key only if its revision is still lastRevision: a lease holder that lost the key
    // meanwhile must not delete the new holder's entry.
    Outcome remove(const std::string& key, uint64_t lastRevision);
    Read get(const std::string& key);
    // The keys present now; nullopt when NATS did not answer.
    std::optional<std::vector<std::string>> keys();

private:
    jsCtx* jetStream_;
    std::string name_;
    kvStore* store_ = nullptr;
};

}  // namespace sylk::cluster
