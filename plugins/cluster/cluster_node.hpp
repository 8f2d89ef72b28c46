// This janus as a node of the cluster: its NATS connection, the two buckets, its room leases
// and its entry in the node registry, the bridge that carries its hub's room events to the
// other nodes (HubBridge over NatsBus), and the answers the plugin gives from them ("owner",
// "nodes", "status", hub service cluster.owner). The buckets open on the lease loop's first
// tick that reaches NATS: a node started before NATS waits for it instead of failing.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cluster_settings.hpp"
#include <set>

#include "sylkcore/cluster/account_relay.hpp"
#include "sylkcore/cluster/hub_bridge.hpp"
#include "sylkcore/cluster/jetstream_chat_store.hpp"
#include "sylkcore/cluster/kv_bucket.hpp"
#include "sylkcore/cluster/nats_bus.hpp"
#include "sylkcore/cluster/nats_connection.hpp"
#include "sylkcore/cluster/node_calls.hpp"
#include "sylkcore/cluster/node_registry.hpp"
#include "sylkcore/cluster/room_leases.hpp"
#include "sylkcore/cluster/room_phones.hpp"
#include "sylkcore/json.hpp"

namespace sylk::cluster {

class ClusterNode {
public:
    explicit ClusterNode(ClusterSettings settings);
    ~ClusterNode();
    ClusterNode(const ClusterNode&) = delete;
    ClusterNode& operator=(const ClusterNode&) = delete;

    const ClusterSettings& settings() const { return settings_; }

    // --- The lease loop (LeaseKeeper) ---
    // Opens the buckets if not yet open; false while NATS cannot be reached.
    bool openStores();
    // NATS is connected now. While it is not, nothing is written: a write would only wait its
    // timeout (leases lapse by their local deadline, entries expire by their TTL).
    bool connected() const { return connection_ && connection_->connected(); }
    bool announce();
    std::vector<std::string> renewAll();
    bool claim(const std::string& room);
    void release(const std::string& room);
    std::vector<std::string> ownedRooms() const;
    // Gives every room up and leaves the registry (shutdown), so others take over at once.
    void leave();
    // The bridge's upkeep: after NATS came back, it asks the other nodes who is in each room
    // again (events sent meanwhile are lost); a node whose registry entry expired (killed, cut
    // off) has its members leave this node's rooms.
    void keepBridge();
    // Purges the stored chat of rooms that ended here (HubBridge::purgeEnded), at most
    // kPurgesPerTick per call (two NATS round trips each): the lease loop's last step.
    void purgeEndedRooms();
    static constexpr size_t kPurgesPerTick = 32;

    // --- Answers; thread-safe. Throw RequestError. ---
    // {"room", "node", "local", "ws_url", "sip_uri", "http_url"}; claims the room first if
    // nobody owns it and it has members here. node is null when nobody owns it.
    // joining: the asker is about to join the room on this node (the web app asks before it
    // joins), so an unowned room is claimed for this node even before it has members here; the
    // lease keeper then keeps it for a lease while the join comes.
    Json owner(const std::string& room, const Json& roomValue, bool joining = false);  // room: RoomId::key
    // Claimed for a joiner less than a lease ago (the lease keeper does not release it yet).
    bool heldForJoiner(const std::string& room);
    // The joiner went elsewhere: the room is released on the keeper's next tick unless it has
    // members by then.
    void dropJoinerHold(const std::string& room);
    // At most this many rooms are held for joiners at once; past it, `joining` claims nothing
    // (the room is claimed when its first member is here): any client may say `joining`, and
    // must not be able to hold every room of the cluster without joining any.
    static constexpr size_t kMaxJoinerHolds = 256;
    Json nodes();
    Json status() const;
    // A SIP gateway account's event for its handles on the other nodes (hub service
    // cluster.account_event, from the SIP plugin); false when no cluster is configured or the
    // event does not travel. Their relays hand it to hub service sip.account_event.
    bool publishAccountEvent(const std::string& account, const Json& event);

    // Members of the hub room served by plugins of this node (not the cluster's own).
    static bool hasLocalMembers(const std::string& room);
    // The other nodes with members in the hub room (hub service cluster.room_nodes).
    static std::vector<std::string> nodesInRoom(const std::string& room);

    // --- Calls to other nodes' `.remote.` hub services (NodeCalls; hub services cluster.call,
    // cluster.send). Throw RequestError (NotFound when no cluster is configured). ---
    Json callNode(const std::string& node, const std::string& service, const Json& request,
                  std::chrono::milliseconds timeout);
    void sendToNode(const std::string& node, const std::string& service, const Json& request);

private:
    struct Stores;
    std::shared_ptr<Stores> stores() const;
    std::shared_ptr<Stores> storesOrThrow() const;
    // Room may be held for a joiner now (under kMaxJoinerHolds, expired holds dropped).
    bool mayHoldForJoiner(const std::string& room);
    // Phones of dead nodes: the node that owns (or can claim) their room calls them back.
    void callPhonesBack(Stores& opened);
    // A share of the open rooms' rosters each tick, so that each is asked within rosterRefresh.
    void refreshSomeRosters();
    // Writes the phones of the rooms this node owns to sylk_phones (RoomPhones), for whoever
    // takes a room over after this node dies.
    void recordPhones(Stores& opened);
    // When `node` left the registry: the phones it recorded for rooms this node did not have
    // open (those it had, the bridge knows), added to phonesToCallBack_.
    void notePhonesOf(Stores& opened, const std::string& node, std::chrono::steady_clock::time_point until);

    const ClusterSettings settings_;
    std::atomic<bool> connected_{false};
    std::unique_ptr<NatsConnection> connection_;
    // Declared after the connection: destroyed (stopped) before it.
    std::unique_ptr<NatsBus> bus_;
    std::unique_ptr<JetStreamChatStore> chatStore_;  // before the bridge, which uses it
    std::unique_ptr<HubBridge> bridge_;
    std::unique_ptr<NodeCalls> calls_;
    std::unique_ptr<AccountRelay> accounts_;
    std::atomic<bool> resyncWanted_{false};  // set on libnats's thread, acted on by the lease loop
    std::set<std::string> liveNodes_;        // the lease loop's last view of the registry
    double rosterCredit_ = 0;                // rooms due for a roster refresh (the lease loop's)
    std::atomic<size_t> phonesRecorded_{0};     // rooms with our phones in sylk_phones (status)
    std::atomic<uint64_t> phonesCalledBack_{0};  // INVITEs sent to phones of dead nodes (status)
    std::mutex joinersMutex_;
    std::map<std::string, std::chrono::steady_clock::time_point> joinerClaims_;  // room -> when claimed for a joiner
    // Rooms whose dead owner had phones in them, waiting until this node owns the room (then it
    // calls them back) or another live node does (then that one does), at most a few leases.
    // The lease loop's alone.
    struct PhonesToCallBack {
        std::vector<hub::Member> phones;
        std::chrono::steady_clock::time_point until;
        std::string deadNode;  // whose phones record to remove once they are called
    };
    std::map<std::string, PhonesToCallBack> phonesToCallBack_;
    mutable std::mutex storesMutex_;
    std::shared_ptr<Stores> stores_;
};

}  // namespace sylk::cluster
