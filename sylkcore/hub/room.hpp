// One room of the hub: its members and its event bus.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "../api.hpp"
#include "events.hpp"
#include "room_event.hpp"
#include "subscription.hpp"

namespace sylk::hub {

class SYLK_API Room : public std::enable_shared_from_this<Room> {
public:
    explicit Room(std::string id);
    const std::string& id() const { return id_; }

    // Adds a member (or replaces one with the same id) and posts "joined" (or "updated").
    void join(const Member& member);
    // Removes a member and posts "left"; false if it was not there.
    bool leave(const std::string& memberId);
    std::vector<Member> members() const;
    // The members with the sequence of the last event posted when the list was taken: a
    // joined/left numbered at or below `through` is in it, one numbered above is not (join and
    // leave number their event in the same step that changes the members). The cluster's
    // roster answers carry it, so another node can tell a stale answer from a missed event.
    struct MembersSnapshot {
        std::vector<Member> members;
        uint64_t through = 0;
    };
    MembersSnapshot membersSnapshot() const;
    // The member is in the room and moderates it (Member::moderator).
    bool isModerator(const std::string& memberId) const;
    // The members other plugins serve: a plugin's view of who else is in "its" room.
    Json membersJsonExcept(const std::string& plugin) const;
    bool idle() const;

    // Posts an event to every listener, the poster's own included. Plugins post what a builder
    // of events.hpp made; the raw form is for the hub itself and its tests.
    void post(const std::string& plugin, const std::string& member, EventPayload event);
    void post(const std::string& kind, const std::string& plugin, const std::string& member, Json data);

    // Chat history: the room keeps its last public `chat` events (private ones are never
    // kept), so every plugin replays the same history to its late joiners. A room keeps
    // kDefaultHistory until a plugin asks for more: keepHistory(n) raises the length to at
    // least n (each plugin asks for what it is configured to replay; the largest wins).
    static constexpr size_t kDefaultHistory = 50;
    static constexpr size_t kMaxHistory = 10'000;
    void keepHistory(size_t length);
    size_t historyLength() const;
    // The last (at most) max public chat events, oldest first.
    std::vector<RoomEvent> history(size_t max = kMaxHistory) const;
    // The same, with the sequence of the last event posted when it was taken. A plugin that
    // replays history to a joiner and gets live events on its own thread skips, for that
    // joiner, the live chat numbered at or below `through`: it was in the replay (or older).
    struct HistorySnapshot {
        std::vector<RoomEvent> events;
        uint64_t through = 0;
    };
    HistorySnapshot historySnapshot(size_t max = kMaxHistory) const;

    // A persistent room's history outlives the process (sylkcore/files ChatArchive): restored
    // events (public chats, oldest first) go before any kept since, and the recorder then gets
    // every public chat as it is kept, with the history length, under the room's lock and in
    // order (so it must only queue the event and return). false, changing nothing, if the room
    // already has a recorder.
    using HistoryRecorder = std::function<void(const RoomEvent& event, size_t historyLength)>;
    bool attachHistory(std::vector<RoomEvent> restored, HistoryRecorder recorder);
    // A cluster node that opens a room puts the chat the shared store kept for it (the cluster's
    // JetStream stream, docs/cluster.md) after what the room holds: each event is numbered as if
    // posted now, but nobody is told and the recorder does not get it (it was said before, on a
    // node that recorded it). Like restored history, not cut to historyLength() until the next
    // post, so a plugin that raises the length after the room opened still replays all of it.
    void restoreHistory(std::vector<RoomEvent> events);

    // The room's PINs: each plugin that serves the room under a PIN of its own sets it here
    // (empty: none from that plugin), and a newcomer through any plugin must give every PIN set,
    // so a room's PIN guards it whichever way one comes in (a PIN-protected video room is not
    // heard through the audio mixer's room of the same name without it). Any thread.
    void setPin(const std::string& plugin, const std::string& pin);
    bool admitsPin(const std::string& pin) const;
    bool pinProtected() const;

    // Listeners are held weakly: a listener that is gone is skipped and dropped.
    [[nodiscard]] Subscription subscribe(const std::shared_ptr<RoomListener>& listener);
    // The same, for a listener that must not keep the room open: it does not count for idle().
    // The cluster's HubBridge watches every room this way; a room nobody else uses still ends.
    [[nodiscard]] Subscription watch(const std::shared_ptr<RoomListener>& listener);

private:
    friend class Subscription;
    void unsubscribe(uint64_t token);
    // Under mutex_: numbers the event, keeps it in the history if it is public chat, and
    // returns the listeners to deliver it to (without the lock).
    std::vector<std::shared_ptr<RoomListener>> numberLocked(RoomEvent& event);
    static void deliver(const std::vector<std::shared_ptr<RoomListener>>& targets, const RoomEvent& event);

    const std::string id_;
    mutable std::mutex mutex_;
    std::map<std::string, Member> members_;
    std::map<std::string, std::string> pins_;  // plugin -> its PIN for the room (none: absent)
    std::set<std::string> talking_;  // members whose last talking event said talking
    std::map<uint64_t, std::weak_ptr<RoomListener>> listeners_;
    std::set<uint64_t> watchers_;  // tokens of listeners_ that came through watch()
    uint64_t nextToken_ = 1;
    uint64_t sequence_ = 0;
    std::deque<RoomEvent> history_;
    size_t historyLength_ = kDefaultHistory;
    HistoryRecorder recorder_;
};

}  // namespace sylk::hub
