#include "cluster_node.hpp"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <stdexcept>

#include "sylkcore/files/file_store.hpp"
#include "sylkcore/hub/hub.hpp"
#include "sylkcore/hub/services.hpp"
#include "sylkcore/hub/service_names.hpp"
#include "sylkcore/log.hpp"
#include "sylkcore/request_error.hpp"

namespace sylk::cluster {

namespace {
const char* const kPackage = "janus.plugin.sylk.cluster";
// A phones record lives this long after its node's last write; a live owner rewrites it at half
// that (RoomPhones::publish), so only the records of dead nodes lapse.
constexpr std::chrono::milliseconds kPhonesTtl = std::chrono::hours(1);

int64_t wallClockMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}
}  // namespace

struct ClusterNode::Stores {
    Stores(jsCtx* jetStream, const ClusterSettings& settings)
        : rooms(jetStream, RoomLeases::kBucket, settings.lease),
          nodes(jetStream, NodeRegistry::kBucket, settings.lease),
          phoneRecords(jetStream, RoomPhones::kBucket, kPhonesTtl),
          leases(rooms, RoomLeases::Settings{settings.node, settings.lease, settings.margin()}),
          registry(nodes, NodeRecord{settings.node, settings.wsUrl, settings.sipUri, settings.httpUrl, wallClockMs(), settings.mediaIp}),
          phones(phoneRecords, settings.node) {}
    KvBucket rooms;
    KvBucket nodes;
    KvBucket phoneRecords;
    RoomLeases leases;
    NodeRegistry registry;
    RoomPhones phones;
};

ClusterNode::ClusterNode(ClusterSettings settings) : settings_(std::move(settings)) {
    if (!settings_.enabled())
        return;
    NatsConnection::Settings nats{settings_.nats, "sylk-" + settings_.node, settings_.requestTimeout(),
                                  std::min(settings_.tick(), std::chrono::milliseconds(2000))};
    connection_ = std::make_unique<NatsConnection>(nats, [this, node = settings_.node](bool connected) {
        connected_ = connected;
        if (connected)
            resyncWanted_ = true;
        // libnats' thread: log and return, the lease loop acts on its next tick
        SYLK_LOG(LOG_INFO, kPackage, "node %s %s NATS", node.c_str(), connected ? "connected to" : "lost");
    });
    bus_ = std::make_unique<NatsBus>(connection_->raw());
    bridge_ = std::make_unique<HubBridge>(hub::Hub::instance(), *bus_, settings_.node);
    if (settings_.chatHistory > 0) {
        chatStore_ = std::make_unique<JetStreamChatStore>(connection_->raw(), connection_->jetStream(),
                                                          settings_.chatHistory, settings_.chatStoreWait());
        // Persistent rooms (a plugin's configured rooms) keep their history when they end.
        bridge_->useChatStore(chatStore_.get(), [](const std::string& room) { return files::FileStore::instance().kept(room); });
    }
    if (!bridge_->start())
        SYLK_LOG(LOG_ERR, kPackage, "node %s: the bus refused the bridge's subscriptions", settings_.node.c_str());
    // Other nodes' account events go to the SIP plugin's handles of that account, if it runs here
    // (its service only queues them to the SIP thread: the bus's thread does not wait).
    accounts_ = std::make_unique<AccountRelay>(*bus_, settings_.node, [](const std::string& account, const Json& event) {
        if (!hub::Services::instance().offered(hub::service::SipAccountEvent))
            return;
        Json request = Json::object();
        request.set("account", account).set("event", event);
        try {
            hub::Services::instance().call(hub::service::SipAccountEvent, request);
        } catch (const RequestError& e) {
            SYLK_LOG(LOG_VERB, kPackage, "an account event for %s was not delivered: %s", account.c_str(), e.what());
        }
    });
    accounts_->start();
    // Other nodes' calls run the named local hub service on the bus's thread, which waits for it.
    calls_ = std::make_unique<NodeCalls>(*bus_, settings_.node, [](const std::string& service, const Json& request) {
        return hub::Services::instance().call(service, request);
    });
    calls_->start();
}

ClusterNode::~ClusterNode() {
    if (calls_)
        calls_->stop();
    if (accounts_)
        accounts_->stop();
    if (bridge_)
        bridge_->stop();  // tells the others this node goes, before the connection closes
}

bool ClusterNode::publishAccountEvent(const std::string& account, const Json& event) {
    return accounts_ && accounts_->publish(account, event);
}

void ClusterNode::keepBridge() {
    if (!bridge_)
        return;
    if (resyncWanted_.exchange(false))
        bridge_->resync();
    refreshSomeRosters();
    std::shared_ptr<Stores> opened = stores();
    if (!opened)
        return;
    std::optional<std::vector<NodeRecord>> records = opened->registry.nodes();
    if (!records)
        return;  // NATS did not answer: nothing is known to have gone
    std::set<std::string> live;
    for (const NodeRecord& record : *records)
        live.insert(record.node);
    for (const std::string& node : liveNodes_) {
        if (!live.count(node) && node != settings_.node) {
            SYLK_LOG(LOG_INFO, kPackage, "node %s: node %s left the registry; its members leave our rooms",
                     settings_.node.c_str(), node.c_str());
            auto until = std::chrono::steady_clock::now() + 3 * settings_.lease;
            for (auto& [room, phones] : bridge_->callableMembersOf(node)) {
                auto& waiting = phonesToCallBack_[room];
                waiting.phones.insert(waiting.phones.end(), phones.begin(), phones.end());
                waiting.until = until;
                waiting.deadNode = node;
            }
            notePhonesOf(*opened, node, until);
            bridge_->forgetNode(node);
        }
    }
    // A node that (re)appears after we forgot it (it was cut off longer than a lease) does not
    // ask us for anything: we ask it, and everyone else, who is in our rooms.
    bool newcomer = false;
    for (const std::string& node : live)
        newcomer = newcomer || (!liveNodes_.empty() && !liveNodes_.count(node) && node != settings_.node);
    if (newcomer)
        bridge_->resync();
    liveNodes_ = std::move(live);
    callPhonesBack(*opened);
    recordPhones(*opened);
    // Claims for joiners that never came (or whose room went elsewhere) are forgotten.
    std::lock_guard<std::mutex> lock(joinersMutex_);
    for (auto it = joinerClaims_.begin(); it != joinerClaims_.end();)
        it = std::chrono::steady_clock::now() - it->second >= settings_.lease ? joinerClaims_.erase(it) : std::next(it);
}

void ClusterNode::refreshSomeRosters() {
    if (settings_.rosterRefresh.count() <= 0)
        return;
    const size_t rooms = bridge_->openRooms();
    if (rooms == 0) {
        rosterCredit_ = 0;
        return;
    }
    // rooms * tick / refresh per tick: every room once per period, spread over its ticks
    // rather than one burst of requests (and answers from every node) per period.
    rosterCredit_ += static_cast<double>(rooms) * static_cast<double>(settings_.tick().count()) /
                     static_cast<double>(settings_.rosterRefresh.count());
    rosterCredit_ = std::min(rosterCredit_, static_cast<double>(rooms));
    const auto due = static_cast<size_t>(rosterCredit_);
    if (due > 0)
        rosterCredit_ -= static_cast<double>(bridge_->refreshRosters(due));
}

void ClusterNode::recordPhones(Stores& opened) {
    std::vector<std::string> withPhones;
    for (const std::string& room : opened.leases.ownedRooms()) {
        std::shared_ptr<hub::Room> hubRoom = hub::Hub::instance().find(room);
        if (!hubRoom)
            continue;
        std::vector<hub::Member> phones;
        for (const hub::Member& member : hubRoom->members()) {
            if (!member.callBack.empty() && member.plugin != kPackage)  // ours, not re-posted from a node
                phones.push_back(member);
        }
        if (phones.empty())
            continue;
        withPhones.push_back(room);
        if (!opened.phones.publish(room, phones, kPhonesTtl / 2))
            SYLK_LOG(LOG_VERB, kPackage, "node %s: the phones of room %s are not recorded yet (NATS)",
                     settings_.node.c_str(), room.c_str());
    }
    opened.phones.keepOnly(withPhones);
    phonesRecorded_ = opened.phones.recorded();
}

void ClusterNode::notePhonesOf(Stores& opened, const std::string& node, std::chrono::steady_clock::time_point until) {
    std::optional<std::map<std::string, std::vector<hub::Member>>> recorded = opened.phones.ofNode(node);
    if (!recorded) {
        SYLK_LOG(LOG_WARN, kPackage, "node %s: NATS did not list node %s's phones", settings_.node.c_str(), node.c_str());
        return;
    }
    for (auto& [room, phones] : *recorded) {
        auto& waiting = phonesToCallBack_[room];
        for (hub::Member& phone : phones) {
            bool known = false;  // the bridge's copy (this node had the room open) comes first
            for (const hub::Member& noted : waiting.phones)
                known = known || noted.callBack == phone.callBack;
            if (!known)
                waiting.phones.push_back(std::move(phone));
        }
        waiting.until = until;
        waiting.deadNode = node;
    }
}

void ClusterNode::purgeEndedRooms() {
    if (bridge_ && connected())
        bridge_->purgeEnded(kPurgesPerTick);
}

void ClusterNode::callPhonesBack(Stores& opened) {
    auto now = std::chrono::steady_clock::now();
    for (auto it = phonesToCallBack_.begin(); it != phonesToCallBack_.end();) {
        const std::string& room = it->first;
        RoomLeases::Lookup lookup = opened.leases.ownerOf(room);
        bool ours = lookup.reachable && lookup.owner && lookup.owner->local;
        bool elsewhere = lookup.reachable && lookup.owner && !ours && liveNodes_.count(lookup.owner->node) &&
                         lookup.owner->node != settings_.node;
        // Nobody owns it: claim it for the phones, held like a joiner's until their calls land.
        if (lookup.reachable && !lookup.owner && opened.leases.claim(room)) {
            ours = true;
            std::lock_guard<std::mutex> lock(joinersMutex_);
            joinerClaims_[room] = now;
        }
        if (ours) {
            for (const hub::Member& phone : it->second.phones) {
                Json invite = Json::object();
                invite.set("room", room).set("uri", phone.callBack).set("display", phone.display);
                try {
                    hub::Services::instance().call(hub::service::SipFocusInvite, invite);
                    ++phonesCalledBack_;
                    SYLK_LOG(LOG_INFO, kPackage, "node %s: room %s calls %s back (its node died)", settings_.node.c_str(),
                             room.c_str(), phone.callBack.c_str());
                } catch (const std::exception& e) {  // no SIP plugin here (NotFound), a refused URI, a full queue
                    SYLK_LOG(LOG_WARN, kPackage, "node %s: room %s cannot call %s back: %s", settings_.node.c_str(),
                             room.c_str(), phone.callBack.c_str(), e.what());
                }
            }
            opened.phones.forget(it->second.deadNode, room);  // called from here: nobody else calls them
        } else if (elsewhere) {
            SYLK_LOG(LOG_INFO, kPackage, "node %s: room %s is node %s's now; it calls the phones back",
                     settings_.node.c_str(), room.c_str(), lookup.owner->node.c_str());
        } else if (now < it->second.until) {
            ++it;  // the dead node's lease has not lapsed yet (or NATS is slow): next tick
            continue;
        } else {
            SYLK_LOG(LOG_WARN, kPackage, "node %s: room %s: gave up calling %zu phones back (nobody could own the room)",
                     settings_.node.c_str(), room.c_str(), it->second.phones.size());
        }
        it = phonesToCallBack_.erase(it);
    }
}

bool ClusterNode::openStores() {
    if (stores())
        return true;
    if (!connection_)
        return false;
    try {
        auto opened = std::make_shared<Stores>(connection_->jetStream(), settings_);
        std::lock_guard<std::mutex> lock(storesMutex_);
        stores_ = std::move(opened);
        SYLK_LOG(LOG_INFO, kPackage, "node %s: buckets %s and %s open (lease %lld ms)", settings_.node.c_str(),
                 RoomLeases::kBucket, NodeRegistry::kBucket, static_cast<long long>(settings_.lease.count()));
        return true;
    } catch (const std::exception& error) {
        SYLK_LOG(LOG_VERB, kPackage, "%s", error.what());
        return false;
    }
}

std::shared_ptr<ClusterNode::Stores> ClusterNode::stores() const {
    std::lock_guard<std::mutex> lock(storesMutex_);
    return stores_;
}

std::shared_ptr<ClusterNode::Stores> ClusterNode::storesOrThrow() const {
    std::shared_ptr<Stores> opened = stores();
    if (!opened)
        throw RequestError(ErrorCode::ClusterUnreachable, "this node has not reached NATS yet");
    return opened;
}

bool ClusterNode::announce() {
    std::shared_ptr<Stores> opened = stores();
    return opened && opened->registry.announce();
}

std::vector<std::string> ClusterNode::renewAll() {
    std::shared_ptr<Stores> opened = stores();
    return opened ? opened->leases.renewAll() : std::vector<std::string>{};
}

bool ClusterNode::claim(const std::string& room) {
    std::shared_ptr<Stores> opened = stores();
    return opened && opened->leases.claim(room);
}

void ClusterNode::release(const std::string& room) {
    if (std::shared_ptr<Stores> opened = stores())
        opened->leases.release(room);
}

std::vector<std::string> ClusterNode::ownedRooms() const {
    std::shared_ptr<Stores> opened = stores();
    return opened ? opened->leases.ownedRooms() : std::vector<std::string>{};
}

void ClusterNode::leave() {
    if (!connected())
        return;  // cut off: our entries expire by themselves; do not hold janus's shutdown
    if (std::shared_ptr<Stores> opened = stores()) {
        opened->leases.releaseAll();
        opened->registry.withdraw();
    }
}

bool ClusterNode::hasLocalMembers(const std::string& room) {
    std::shared_ptr<hub::Room> hubRoom = hub::Hub::instance().find(room);
    if (!hubRoom)
        return false;
    for (const hub::Member& member : hubRoom->members()) {
        // Members another node's bridge re-posted here carry our package: they are not ours.
        if (member.plugin != kPackage)
            return true;
    }
    return false;
}

std::vector<std::string> ClusterNode::nodesInRoom(const std::string& room) {
    std::vector<std::string> nodes;
    std::shared_ptr<hub::Room> hubRoom = hub::Hub::instance().find(room);
    if (!hubRoom)
        return nodes;
    const std::string prefix = std::string(kPackage) + "/";
    for (const hub::Member& member : hubRoom->members()) {
        // janus.plugin.sylk.cluster/<node>/<their id>: the bridge's copy of another node's member
        if (member.plugin != kPackage || member.id.compare(0, prefix.size(), prefix) != 0)
            continue;
        size_t end = member.id.find('/', prefix.size());
        if (end == std::string::npos)
            continue;
        std::string node = member.id.substr(prefix.size(), end - prefix.size());
        if (std::find(nodes.begin(), nodes.end(), node) == nodes.end())
            nodes.push_back(node);
    }
    return nodes;
}

Json ClusterNode::callNode(const std::string& node, const std::string& service, const Json& request,
                           std::chrono::milliseconds timeout) {
    if (!calls_)
        throw RequestError(ErrorCode::NotFound, "this node is in no cluster");
    return calls_->call(node, service, request, timeout);
}

void ClusterNode::sendToNode(const std::string& node, const std::string& service, const Json& request) {
    if (!calls_)
        throw RequestError(ErrorCode::NotFound, "this node is in no cluster");
    if (!calls_->send(node, service, request))
        throw RequestError(ErrorCode::ClusterUnreachable, "the call to node " + node + " was not sent");
}

bool ClusterNode::heldForJoiner(const std::string& room) {
    std::lock_guard<std::mutex> lock(joinersMutex_);
    auto it = joinerClaims_.find(room);
    if (it == joinerClaims_.end())
        return false;
    if (std::chrono::steady_clock::now() - it->second < settings_.lease)
        return true;
    joinerClaims_.erase(it);
    return false;
}

void ClusterNode::dropJoinerHold(const std::string& room) {
    std::lock_guard<std::mutex> lock(joinersMutex_);
    joinerClaims_.erase(room);
}

bool ClusterNode::mayHoldForJoiner(const std::string& room) {
    std::lock_guard<std::mutex> lock(joinersMutex_);
    auto now = std::chrono::steady_clock::now();
    for (auto it = joinerClaims_.begin(); it != joinerClaims_.end();)
        it = now - it->second >= settings_.lease ? joinerClaims_.erase(it) : std::next(it);
    if (joinerClaims_.count(room) || joinerClaims_.size() < kMaxJoinerHolds)
        return true;
    SYLK_LOG(LOG_WARN, kPackage, "node %s: %zu rooms held for joiners already; room %s is claimed when someone is in it",
             settings_.node.c_str(), joinerClaims_.size(), room.c_str());
    return false;
}

Json ClusterNode::owner(const std::string& room, const Json& roomValue, bool joining) {
    Json answer = Json::object();
    answer.set("room", Json::borrow(roomValue.get()));
    if (!settings_.enabled()) {
        // A single node: every room is here.
        answer.set("node", settings_.node).setBool("local", true).set("ws_url", settings_.wsUrl)
            .set("sip_uri", settings_.sipUri).set("http_url", settings_.httpUrl);
        return answer;
    }
    std::shared_ptr<Stores> opened = storesOrThrow();
    if (joining && !hasLocalMembers(room))
        joining = mayHoldForJoiner(room);
    RoomLeases::Lookup lookup = opened->leases.ownerOf(room);
    if (!lookup.reachable)
        throw RequestError(ErrorCode::ClusterUnreachable, "NATS did not answer: the room's owner is unknown now");
    bool ownedHere = lookup.owner && lookup.owner->local;
    bool unowned = !lookup.owner || (lookup.owner->node == settings_.node && !ownedHere);
    if (unowned && (joining || hasLocalMembers(room)) && opened->leases.claim(room)) {
        lookup.owner = RoomLeases::Owner{settings_.node, true, 0};
        if (joining) {
            std::lock_guard<std::mutex> lock(joinersMutex_);
            joinerClaims_[room] = std::chrono::steady_clock::now();
        }
    } else if (unowned && joining) {
        lookup = opened->leases.ownerOf(room);  // another node won the claim: that one is the answer
        if (!lookup.reachable)
            throw RequestError(ErrorCode::ClusterUnreachable, "NATS did not answer: the room's owner is unknown now");
    }
    if (!lookup.owner || (lookup.owner->node == settings_.node && !lookup.owner->local)) {
        answer.set("node", Json::adopt(json_null())).setBool("local", false);
        return answer;
    }
    answer.set("node", lookup.owner->node).setBool("local", lookup.owner->local);
    if (lookup.owner->local) {
        answer.set("ws_url", settings_.wsUrl).set("sip_uri", settings_.sipUri).set("http_url", settings_.httpUrl);
    } else if (std::optional<NodeRecord> record = opened->registry.find(lookup.owner->node)) {
        answer.set("ws_url", record->wsUrl).set("sip_uri", record->sipUri).set("http_url", record->httpUrl);
    }
    return answer;
}

Json ClusterNode::nodes() {
    Json list = Json::array();
    if (!settings_.enabled()) {
        list.append(NodeRecord{settings_.node, settings_.wsUrl, settings_.sipUri, settings_.httpUrl, 0, settings_.mediaIp}.toJson());
        return Json::object().set("nodes", list);
    }
    std::optional<std::vector<NodeRecord>> records = storesOrThrow()->registry.nodes();
    if (!records)
        throw RequestError(ErrorCode::ClusterUnreachable, "NATS did not answer: the node list is unknown now");
    for (const NodeRecord& record : *records)
        list.append(record.toJson());
    return Json::object().set("nodes", list);
}

Json ClusterNode::status() const {
    Json status = Json::object();
    status.set("node", settings_.node).setBool("enabled", settings_.enabled())
        .setBool("nats_connected", connected_.load()).setBool("ready", stores() != nullptr)
        .set("lease_ms", static_cast<json_int_t>(settings_.lease.count()))
        .set("owned", Json::stringArray(ownedRooms()))
        .set("phones_recorded", static_cast<json_int_t>(phonesRecorded_.load()))
        .set("phones_called_back", static_cast<json_int_t>(phonesCalledBack_.load()));
    if (bridge_) {
        HubBridge::Stats bus = bridge_->stats();
        status.set("bus", Json::object()
                              .set("published", static_cast<json_int_t>(bus.published))
                              .set("applied", static_cast<json_int_t>(bus.applied))
                              .set("refused", static_cast<json_int_t>(bus.refused))
                              .set("chat_stored", static_cast<json_int_t>(bus.stored))
                              .set("chat_restored", static_cast<json_int_t>(bus.restored))
                              .set("chat_purged", static_cast<json_int_t>(bus.purged)));
    }
    if (calls_) {
        NodeCalls::Stats calls = calls_->stats();
        status.set("node_calls", Json::object()
                                     .set("called", static_cast<json_int_t>(calls.called))
                                     .set("served", static_cast<json_int_t>(calls.served))
                                     .set("refused", static_cast<json_int_t>(calls.refused))
                                     .set("timed_out", static_cast<json_int_t>(calls.timedOut)));
    }
    if (accounts_) {
        AccountRelay::Stats relayed = accounts_->stats();
        status.set("account_events", Json::object()
                                         .set("published", static_cast<json_int_t>(relayed.published))
                                         .set("delivered", static_cast<json_int_t>(relayed.delivered))
                                         .set("refused", static_cast<json_int_t>(relayed.refused)));
    }
    return status;
}

}  // namespace sylk::cluster
