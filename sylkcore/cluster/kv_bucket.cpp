#include "kv_bucket.hpp"

#include <stdexcept>

#include "../log.hpp"

namespace sylk::cluster {
namespace {

// Statuses that say nothing about the key: the request may not even have reached the server.
bool unreachable(natsStatus status) {
    switch (status) {
    case NATS_TIMEOUT:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_NOT_YET_CONNECTED:
    case NATS_NO_RESPONDERS:
    case NATS_NO_SERVER:
    case NATS_STALE_CONNECTION:
    case NATS_IO_ERROR:
        return true;
    default:
        return false;
    }
}

KvBucket::Write written(natsStatus status, uint64_t revision) {
    if (status == NATS_OK)
        return {KvBucket::Outcome::Done, revision};
    // Anything but silence means the server looked at the key and refused: for a lease holder
    // that is the safe reading (it stops, it never believes it wrote).
    return {unreachable(status) ? KvBucket::Outcome::Unreachable : KvBucket::Outcome::Conflict, 0};
}

struct MessageGuard {
    natsMsg* message = nullptr;
    ~MessageGuard() { natsMsg_Destroy(message); }
};

}  // namespace

KvBucket::KvBucket(jsCtx* jetStream, const std::string& name, std::chrono::milliseconds ttl)
    : jetStream_(jetStream), name_(name) {
    natsStatus status = js_KeyValue(&store_, jetStream_, name_.c_str());
    if (status == NATS_NOT_FOUND) {
        kvConfig config;
        kvConfig_Init(&config);
        config.Bucket = name_.c_str();
        config.History = 1;
        config.TTL = std::chrono::duration_cast<std::chrono::nanoseconds>(ttl).count();  // libnats 3.4: nanoseconds
        status = js_CreateKeyValue(&store_, jetStream_, &config);
        if (status != NATS_OK) {
            std::string why = nats_GetLastError(nullptr) ? nats_GetLastError(nullptr) : natsStatus_GetText(status);
            // Another node made it at the same moment: open theirs (same settings by design).
            if (js_KeyValue(&store_, jetStream_, name_.c_str()) != NATS_OK)
                throw std::runtime_error("NATS bucket " + name_ + ": " + why);
            status = NATS_OK;
        }
    }
    if (status != NATS_OK)
        throw std::runtime_error("NATS bucket " + name_ + ": " + natsStatus_GetText(status));
    // Whoever made the bucket set its TTL. A node with another lease would believe it owns a
    // room longer (or shorter) than the entry lives, and two nodes could own it at once: refuse.
    kvStatus* bucketStatus = nullptr;
    if (kvStore_Status(&bucketStatus, store_) == NATS_OK) {
        int64_t bucketTtlNs = kvStatus_TTL(bucketStatus);
        kvStatus_Destroy(bucketStatus);
        int64_t wantedNs = std::chrono::duration_cast<std::chrono::nanoseconds>(ttl).count();
        if (bucketTtlNs != wantedNs) {
            kvStore_Destroy(store_);
            store_ = nullptr;
            std::string why = "NATS bucket " + name_ + " has a TTL of " + std::to_string(bucketTtlNs / 1000000) +
                              " ms, this node's lease is " + std::to_string(wantedNs / 1000000) +
                              " ms: every node of a cluster needs the same lease_ms";
            SYLK_LOG(LOG_ERR, "cluster", "%s", why.c_str());  // the caller retries quietly each tick
            throw std::runtime_error(why);
        }
    }
}

KvBucket::~KvBucket() { kvStore_Destroy(store_); }

KvBucket::Write KvBucket::create(const std::string& key, const std::string& value) {
    uint64_t revision = 0;
    natsStatus status = kvStore_Create(&revision, store_, key.c_str(), value.data(), static_cast<int>(value.size()));
    return written(status, revision);
}

KvBucket::Write KvBucket::update(const std::string& key, const std::string& value, uint64_t lastRevision) {
    uint64_t revision = 0;
    natsStatus status =
        kvStore_Update(&revision, store_, key.c_str(), value.data(), static_cast<int>(value.size()), lastRevision);
    return written(status, revision);
}

KvBucket::Write KvBucket::put(const std::string& key, const std::string& value) {
    uint64_t revision = 0;
    natsStatus status = kvStore_Put(&revision, store_, key.c_str(), value.data(), static_cast<int>(value.size()));
    return written(status, revision);
}

KvBucket::Outcome KvBucket::remove(const std::string& key, uint64_t lastRevision) {
    // libnats 3.4's kvStore_Delete has no revision check; a delete is a message with the
    // KV-Operation header on the key's subject, so we publish it with the expectation ourselves.
    MessageGuard guard;
    std::string subject = "$KV." + name_ + "." + key;
    natsStatus status = natsMsg_Create(&guard.message, subject.c_str(), nullptr, nullptr, 0);
    if (status == NATS_OK)
        status = natsMsgHeader_Set(guard.message, "KV-Operation", "DEL");
    if (status != NATS_OK)
        return Outcome::Conflict;
    jsPubOptions options;
    jsPubOptions_Init(&options);
    options.ExpectLastSubjectSeq = lastRevision;
    jsPubAck* ack = nullptr;
    jsErrCode error = static_cast<jsErrCode>(0);
    status = js_PublishMsg(&ack, jetStream_, guard.message, &options, &error);
    jsPubAck_Destroy(ack);
    return written(status, 0).outcome;
}

KvBucket::Read KvBucket::get(const std::string& key) {
    kvEntry* entry = nullptr;
    natsStatus status = kvStore_Get(&entry, store_, key.c_str());
    if (status == NATS_NOT_FOUND)
        return {true, std::nullopt};
    if (status != NATS_OK)
        return {false, std::nullopt};
    Entry result{std::string(static_cast<const char*>(kvEntry_Value(entry)), static_cast<size_t>(kvEntry_ValueLen(entry))),
                 kvEntry_Revision(entry)};
    kvEntry_Destroy(entry);
    return {true, std::move(result)};
}

std::optional<std::vector<std::string>> KvBucket::keys() {
    kvKeysList list{nullptr, 0};
    natsStatus status = kvStore_Keys(&list, store_, nullptr);
    if (status == NATS_NOT_FOUND)
        return std::vector<std::string>{};
    if (status != NATS_OK)
        return std::nullopt;
    std::vector<std::string> keys(list.Keys, list.Keys + list.Count);
    kvKeysList_Destroy(&list);
    return keys;
}

}  // namespace sylk::cluster
