// Carries a hub's room events between the nodes of a cluster, so each node's hub sees a room as
// if all its members were local (docs/cluster-bus.md).
//
// For every room the hub opens, the bridge watches the room (without keeping it open) and
// subscribes to sylk.room.<token>.*: it publishes the room's local events on .events, re-posts
// other nodes' events into the room with plugin janus.plugin.sylk.cluster, answers .roster and
// .history requests, and asks both when the room opens. With a ChatStore (useChatStore), a
// room's public chat goes on sylk.room.<token>.chat into the store before its poster returns,
// is read back from it when the hub opens the room, and is purged from it when the room ends. Members of other nodes appear here as
// "janus.plugin.sylk.cluster/<node>/<their id>"; ids of this node's members coming back in that
// form are mapped back to the plain id. Events of plugin janus.plugin.sylk.cluster are never
// published: nothing loops.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>
#include <utility>

#include "../api.hpp"
#include "../hub/hub.hpp"
#include "bus.hpp"
#include "bus_payload.hpp"
#include "chat_store.hpp"
#include "handler_gate.hpp"

namespace sylk::cluster {

class SYLK_API HubBridge {
public:
    static constexpr char kPlugin[] = "janus.plugin.sylk.cluster";
    // Where a stopping node says so; every bridge listens.
    static constexpr char kNodeGoneSubject[] = "sylk.cluster.node-gone";

    // hub and bus must outlive the bridge. Throws std::invalid_argument for a node id that
    // BusCodec::validNodeId refuses.
    HubBridge(hub::Hub& hub, Bus& bus, std::string nodeId);
    ~HubBridge();  // stop()
    HubBridge(const HubBridge&) = delete;
    HubBridge& operator=(const HubBridge&) = delete;

    // Keeps public room chat in `store` (which must outlive the bridge): stored before the
    // poster's post() returns, read back when the hub opens a room, purged when a room that is
    // not `kept` ends here (see purgeEnded). Before start(); without it chat lives in the nodes'
    // memory only, as on a single node.
    using KeptRoom = std::function<bool(const std::string& roomId)>;
    void useChatStore(ChatStore* store, KeptRoom kept);

    // Starts bridging the rooms open now and every room opened later. Thread-safe; a second
    // call does nothing. false (logged) if the bus refused the bridge's subscriptions.
    bool start();
    // Tells the other nodes this one goes (their copies of its members leave), stops bridging,
    // removes the other nodes' members from this hub's rooms and waits until no bus callback of
    // the bridge runs. Thread-safe, idempotent; not from a bus handler or a hub listener.
    void stop();

    // The members of `node` leave every room here: the node registry calls it when a node's
    // entry expires (a node killed with -9 says nothing on the bus).
    void forgetNode(const std::string& node);
    // The members of `node` that can be called again (hub::Member::callBack: phones), by room,
    // as this node knows them now: asked before forgetNode, so that the node that takes a dead
    // node's room over can call its phones back.
    std::map<std::string, std::vector<hub::Member>> callableMembersOf(const std::string& node) const;
    // Asks the other nodes again who is in each open room: events sent while this node was cut
    // off from NATS are lost, so the plugin calls it when its connection is back (libnats's
    // reconnected callback; it sends and returns, the answers come on the bus's threads).
    void resync();
    // Asks the rosters of the next `count` open rooms, in turn (a cursor that wraps), and
    // returns how many it asked. NATS core may also drop a message without any disconnect (a
    // slow consumer's overflow), leaving a ghost or a missing member that no reconnect would
    // repair; the plugin calls this every tick so that each room is asked again within
    // `roster_refresh_ms`.
    size_t refreshRosters(size_t count);
    size_t openRooms() const;
    // Purges from the chat store the chat of rooms that ended here (the hub forgot them: nobody
    // on any node was in them, as far as this node knew) and are not kept, up to the last chat
    // this node saw in them: a chat stored since (the room began again elsewhere) stays. The
    // lease loop calls it each tick, since the hub forgets a room under its lock, where no
    // NATS call may wait. A room open here again is left alone. At most `max` rooms per call;
    // the others wait for the next.
    void purgeEnded(size_t max = SIZE_MAX);

    const std::string& nodeId() const { return nodeId_; }
    // A member id from `fromNode`'s hub as this hub names it.
    std::string toLocal(const std::string& fromNode, const std::string& memberId) const;

    struct Stats {
        uint64_t published = 0;  // local events sent on the bus
        uint64_t applied = 0;    // other nodes' events posted here (history included)
        uint64_t refused = 0;    // bus messages dropped as malformed
        uint64_t stored = 0;     // public chats the chat store acknowledged
        uint64_t restored = 0;   // chats read back from the store into rooms opened here
        uint64_t purged = 0;     // ended rooms whose stored chat was purged
    };
    Stats stats() const;

private:
    class LocalListener;
    struct RoomLink;

    void attach(hub::Room& room);
    void detach(const std::string& roomId);
    void askRoster(const std::string& roomId);
    void onRoomMessage(const std::string& roomId, const BusMessage& message);
    void onInboxMessage(const BusMessage& message);
    void onNodeGone(const BusMessage& message);
    void publishLocal(const std::string& subject, const hub::RoomEvent& event);
    std::optional<BusPayload> decode(const BusMessage& message, BusPayload::Type expected);
    void applyEvent(const std::string& roomId, const std::string& node, const hub::RoomEvent& event);
    void applyRoster(const std::string& roomId, const BusPayload& roster);
    void applyHistory(const std::string& roomId, const BusPayload& history);
    void answerRoster(const std::string& roomId, const BusMessage& request);
    void answerHistory(const std::string& roomId, const BusMessage& request);
    void noteLive(const std::string& roomId, const std::string& memberId, uint64_t sequence, bool left);
    // (sequence, left) of the member's last live joined/updated/left, if recent.
    std::optional<std::pair<uint64_t, bool>> lastSeen(const std::string& roomId, const std::string& memberId) const;
    void removeMembers(const std::string& roomId, const std::string& idPrefix);
    Json mapData(const std::string& fromNode, const hub::RoomEvent& event) const;
    // Reads the room's stored chat into it (under the hub's lock, from attach); false when the
    // store did not answer (the bridge asks the other nodes for history then).
    bool restoreStoredChat(hub::Room& room);
    void noteChat(const std::string& roomId, const std::string& messageId);

    hub::Hub& hub_;
    Bus& bus_;
    const std::string nodeId_;
    const std::string ownPrefix_;  // janus.plugin.sylk.cluster/<nodeId>/

    std::mutex startStop_;  // one start() or stop() at a time
    std::atomic<bool> running_{false};
    std::shared_ptr<HandlerGate> gate_;
    hub::Hub::LifecycleId lifecycle_ = 0;
    std::string inbox_;
    std::unique_ptr<BusSubscription> inboxSubscription_;
    std::unique_ptr<BusSubscription> nodeGoneSubscription_;

    mutable std::mutex mutex_;  // links_; never held while calling the hub
    std::map<std::string, std::unique_ptr<RoomLink>> links_;
    std::string refreshCursor_;  // the last room refreshRosters asked (links_ is ordered)
    ChatStore* chatStore_ = nullptr;
    KeptRoom kept_;
    // Rooms that ended here, to purge: the last chat id seen in each, and that chat's stream
    // sequence once known (the room opened here again before the purge and read it back).
    struct Ended {
        std::string lastChatId;
        uint64_t sequence = 0;
    };
    std::map<std::string, Ended> endedRooms_;

    std::atomic<uint64_t> published_{0};
    std::atomic<uint64_t> applied_{0};
    std::atomic<uint64_t> refused_{0};
    std::atomic<uint64_t> stored_{0};
    std::atomic<uint64_t> restored_{0};
    std::atomic<uint64_t> purged_{0};
};

}  // namespace sylk::cluster
