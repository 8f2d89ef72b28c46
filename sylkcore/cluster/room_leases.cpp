#include "room_leases.hpp"

#include "lease_record.hpp"
#include "room_subject.hpp"

namespace sylk::cluster {
namespace {

int64_t wallClockMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

RoomLeases::RoomLeases(KvBucket& bucket, Settings settings, const LeaseClock& clock)
    : bucket_(bucket), settings_(std::move(settings)), clock_(clock) {}

bool RoomLeases::claim(const std::string& room) {
    std::lock_guard<std::mutex> writing(writeMutex_);
    if (ownsNow(room))
        return true;
    forget(room);  // a lease past its deadline is not renewed: it is claimed afresh
    const std::string key = RoomSubject::token(room);
    LeaseRecord record{settings_.node, wallClockMs()};
    LeaseClock::TimePoint sentAt = clock_.now();
    KvBucket::Write created = bucket_.create(key, record.encode());
    if (created.outcome == KvBucket::Outcome::Done) {
        std::lock_guard<std::mutex> lock(stateMutex_);
        held_[room] = Held{created.revision, deadlineFrom(sentAt), record.since};
        return true;
    }
    if (created.outcome == KvBucket::Outcome::Unreachable)
        return false;
    // The key exists. If it names us (our earlier lease, not yet expired: this process
    // restarted the room, or a write timed out but landed), nobody else can hold it: take it
    // back with compare-and-set on its revision.
    KvBucket::Read read = bucket_.get(key);
    if (!read.entry)
        return false;
    std::optional<LeaseRecord> existing = LeaseRecord::decode(read.entry->value);
    if (!existing || existing->node != settings_.node)
        return false;
    return renewOne(room, Held{read.entry->revision, {}, existing->since}, clock_.now());
}

bool RoomLeases::renewOne(const std::string& room, Held held, LeaseClock::TimePoint sentAt) {
    const std::string key = RoomSubject::token(room);
    LeaseRecord record{settings_.node, held.since};
    KvBucket::Write updated = bucket_.update(key, record.encode(), held.revision);
    if (updated.outcome == KvBucket::Outcome::Done) {
        std::lock_guard<std::mutex> lock(stateMutex_);
        held_[room] = Held{updated.revision, deadlineFrom(sentAt), held.since};
        return true;
    }
    if (updated.outcome == KvBucket::Outcome::Conflict) {
        // Either somebody else holds the key now, or our previous write landed although its
        // answer was lost (then the key still names us, with a newer revision).
        KvBucket::Read read = bucket_.get(key);
        std::optional<LeaseRecord> existing =
            read.entry ? LeaseRecord::decode(read.entry->value) : std::optional<LeaseRecord>();
        if (existing && existing->node == settings_.node && existing->since == held.since) {
            std::lock_guard<std::mutex> lock(stateMutex_);
            auto it = held_.find(room);
            if (it != held_.end())
                it->second.revision = read.entry->revision;  // deadline unchanged: no renewal confirmed
            return it != held_.end() && clock_.now() < it->second.deadline;
        }
        forget(room);
        return false;
    }
    // Unreachable: the lease holds until its deadline, and ends there whatever NATS does later.
    std::lock_guard<std::mutex> lock(stateMutex_);
    auto it = held_.find(room);
    if (it != held_.end() && clock_.now() >= it->second.deadline) {
        held_.erase(it);
        return false;
    }
    return it != held_.end();
}

std::vector<std::string> RoomLeases::renewAll() {
    std::lock_guard<std::mutex> writing(writeMutex_);
    std::vector<std::pair<std::string, Held>> leases;
    {
        std::lock_guard<std::mutex> lock(stateMutex_);
        leases.assign(held_.begin(), held_.end());
    }
    std::vector<std::string> lost;
    for (const auto& [room, held] : leases) {
        if (!renewOne(room, held, clock_.now()))
            lost.push_back(room);
    }
    return lost;
}

void RoomLeases::release(const std::string& room) {
    std::lock_guard<std::mutex> writing(writeMutex_);
    std::optional<Held> held;
    {
        std::lock_guard<std::mutex> lock(stateMutex_);
        auto it = held_.find(room);
        if (it == held_.end())
            return;
        held = it->second;
        held_.erase(it);
    }
    // Only our revision is deleted: if we lost the key meanwhile, the new owner's entry stays.
    // Unreachable: the entry expires by itself within a lease.
    bucket_.remove(RoomSubject::token(room), held->revision);
}

void RoomLeases::releaseAll() {
    for (const std::string& room : ownedRooms())
        release(room);
}

bool RoomLeases::ownsNow(const std::string& room) const {
    std::lock_guard<std::mutex> lock(stateMutex_);
    auto it = held_.find(room);
    return it != held_.end() && clock_.now() < it->second.deadline;
}

std::vector<std::string> RoomLeases::ownedRooms() const {
    std::lock_guard<std::mutex> lock(stateMutex_);
    std::vector<std::string> rooms;
    LeaseClock::TimePoint now = clock_.now();
    for (const auto& [room, held] : held_) {
        if (now < held.deadline)
            rooms.push_back(room);
    }
    return rooms;
}

RoomLeases::Lookup RoomLeases::ownerOf(const std::string& room) {
    {
        std::lock_guard<std::mutex> lock(stateMutex_);
        auto it = held_.find(room);
        if (it != held_.end() && clock_.now() < it->second.deadline)
            return {true, Owner{settings_.node, true, it->second.since}};
    }
    KvBucket::Read read = bucket_.get(RoomSubject::token(room));
    if (!read.reachable)
        return {false, std::nullopt};
    if (!read.entry)
        return {true, std::nullopt};
    std::optional<LeaseRecord> record = LeaseRecord::decode(read.entry->value);
    if (!record)
        return {true, std::nullopt};  // a value no node of ours wrote: nobody we can send clients to
    // An entry naming us that our local view does not hold (past its deadline): not ours to
    // serve; it expires, and the next claim takes it back.
    return {true, Owner{record->node, false, record->since}};
}

void RoomLeases::forget(const std::string& room) {
    std::lock_guard<std::mutex> lock(stateMutex_);
    held_.erase(room);
}

}  // namespace sylk::cluster
