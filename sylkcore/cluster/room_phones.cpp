#include "room_phones.hpp"

#include "../log.hpp"
#include "bus_codec.hpp"
#include "room_subject.hpp"

namespace sylk::cluster {

namespace {
constexpr const char* kPackage = "sylk.cluster";
}

RoomPhones::RoomPhones(KvBucket& bucket, std::string node) : bucket_(bucket), node_(std::move(node)) {}

std::string RoomPhones::key(const std::string& node, const std::string& room) {
    return node + "." + RoomSubject::token(room);
}

bool RoomPhones::publish(const std::string& room, const std::vector<hub::Member>& phones,
                         std::chrono::milliseconds refresh) {
    auto known = written_.find(room);
    if (phones.empty()) {
        if (known == written_.end())
            return true;
        if (bucket_.remove(key(node_, room), known->second.revision) == KvBucket::Outcome::Unreachable)
            return false;
        written_.erase(known);
        return true;
    }
    BusPayload record{BusPayload::Type::Roster, node_, {}, phones};
    std::string value = BusCodec::encode(record);
    auto now = std::chrono::steady_clock::now();
    if (known != written_.end() && known->second.value == value && now - known->second.at < refresh)
        return true;
    KvBucket::Write write = bucket_.put(key(node_, room), value);
    if (write.outcome != KvBucket::Outcome::Done)
        return false;
    written_[room] = Written{std::move(value), write.revision, now};
    return true;
}

void RoomPhones::keepOnly(const std::vector<std::string>& rooms) {
    for (auto it = written_.begin(); it != written_.end();) {
        bool kept = false;
        for (const auto& room : rooms)
            kept = kept || room == it->first;
        if (kept || bucket_.remove(key(node_, it->first), it->second.revision) == KvBucket::Outcome::Unreachable)
            ++it;  // kept, or NATS did not answer: the next tick tries again
        else
            it = written_.erase(it);
    }
}

std::optional<std::map<std::string, std::vector<hub::Member>>> RoomPhones::ofNode(const std::string& node) {
    std::optional<std::vector<std::string>> keys = bucket_.keys();
    if (!keys)
        return std::nullopt;
    std::map<std::string, std::vector<hub::Member>> rooms;
    const std::string prefix = node + ".";
    for (const auto& key : *keys) {
        if (key.compare(0, prefix.size(), prefix) != 0)
            continue;
        std::optional<std::string> room = RoomSubject::roomName(std::string_view(key).substr(prefix.size()));
        KvBucket::Read read = bucket_.get(key);
        if (!read.reachable)
            return std::nullopt;
        if (!room || !read.entry)
            continue;  // not a key of ours, or deleted since the listing
        std::string error;
        std::optional<BusPayload> record = BusCodec::decode(read.entry->value, &error);
        if (!record || record->type != BusPayload::Type::Roster || record->node != node) {
            SYLK_LOG(LOG_WARN, kPackage, "phones record %s skipped: %s", key.c_str(),
                     record ? "not a roster of its node" : error.c_str());
            continue;
        }
        rooms[*room] = std::move(record->members);
    }
    return rooms;
}

void RoomPhones::forget(const std::string& node, const std::string& room) {
    const std::string recordKey = key(node, room);
    KvBucket::Read read = bucket_.get(recordKey);
    if (read.reachable && read.entry)
        bucket_.remove(recordKey, read.entry->revision);
}

}  // namespace sylk::cluster
