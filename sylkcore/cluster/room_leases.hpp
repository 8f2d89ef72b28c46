// Which rooms this node owns, as leases in bucket sylk_rooms (key: RoomSubject::token(room), value: a
// LeaseRecord). The rules, and why (docs/cluster.md):
//  - claim: create-if-absent, so of two nodes claiming at once exactly one wins;
//  - renew: compare-and-set on the revision we last wrote; a wrong revision means somebody
//    else holds the key now, and we stop at once;
//  - we believe we own a room only until (time we sent the last renewal that succeeded + lease
//    - margin). The entry itself expires a lease after the server stored that write, which is
//    later: a node cut off from NATS gives up before anyone else can claim, so two nodes never
//    both say they own a room.
// Thread-safe: the plugin's lease loop renews while request threads ask and claim. Writes to
// NATS go one at a time; reads of the local view never wait for NATS.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "../api.hpp"
#include "kv_bucket.hpp"
#include "lease_clock.hpp"

namespace sylk::cluster {

class SYLK_API RoomLeases {
public:
    static constexpr const char* kBucket = "sylk_rooms";

    struct Settings {
        std::string node;                      // this node's id, written in the entries we own
        std::chrono::milliseconds lease{5000};  // the bucket's TTL
        std::chrono::milliseconds margin{500};  // how much sooner than the entry we give up
    };
    struct Owner {
        std::string node;
        bool local = false;  // this node, and its lease holds now
        int64_t since = 0;
    };
    struct Lookup {
        bool reachable = false;       // false: NATS did not answer, owner is unknown
        std::optional<Owner> owner;   // reachable and absent: nobody owns the room
    };

    RoomLeases(KvBucket& bucket, Settings settings, const LeaseClock& clock = LeaseClock::steady());

    // Makes the room ours if nobody owns it; true when we own it now (already or just now).
    bool claim(const std::string& room);
    // Renews every lease we hold (call every lease/3). Returns the rooms lost: taken by
    // somebody else, or past their deadline without a renewal NATS confirmed.
    std::vector<std::string> renewAll();
    // Gives the room up (deletes our entry if it is still ours) so another node can claim at once.
    void release(const std::string& room);
    void releaseAll();

    // The local view only; never waits for NATS.
    bool ownsNow(const std::string& room) const;
    std::vector<std::string> ownedRooms() const;
    // Our own lease answers at once; anyone else's is read from NATS.
    Lookup ownerOf(const std::string& room);

    const Settings& settings() const { return settings_; }

private:
    struct Held {
        uint64_t revision = 0;
        LeaseClock::TimePoint deadline;
        int64_t since = 0;
    };
    LeaseClock::TimePoint deadlineFrom(LeaseClock::TimePoint sentAt) const {
        return sentAt + settings_.lease - settings_.margin;
    }
    // Under writeMutex_: writes a fresh lease with compare-and-set; true if it holds now.
    bool renewOne(const std::string& room, Held held, LeaseClock::TimePoint sentAt);
    void forget(const std::string& room);

    KvBucket& bucket_;
    const Settings settings_;
    const LeaseClock& clock_;
    std::mutex writeMutex_;         // one NATS write at a time, in order
    mutable std::mutex stateMutex_;  // held_ only; never held across a NATS call
    std::map<std::string, Held> held_;
};

}  // namespace sylk::cluster
