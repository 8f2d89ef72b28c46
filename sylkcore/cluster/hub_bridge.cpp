#include "hub_bridge.hpp"
#include "member_id.hpp"

#include <chrono>
#include <iterator>
#include <set>
#include <stdexcept>
#include <vector>

#include "../hub/events.hpp"
#include "../log.hpp"
#include "bus_codec.hpp"
#include "room_subject.hpp"

namespace sylk::cluster {
namespace {

// The form member_id.hpp reads: written here, read by the plugins.
const std::string kClusterPrefix(kMemberPrefix);
static_assert(kMemberPrefix.substr(0, kMemberPrefix.size() - 1) == std::string_view(HubBridge::kPlugin));
constexpr char kEvents[] = "events";
constexpr char kRoster[] = "roster";
constexpr char kHistory[] = "history";
constexpr char kChat[] = "chat";  // public chat: the chat store's subjects (JetStreamChatStore::kSubjects)
// How long a chat's poster waits for the NATS server to confirm it has the chat.
constexpr std::chrono::milliseconds kChatFlushTimeout{500};
// A history answer leaves room for the envelope under the bus's limit.
constexpr size_t kHistoryBudget = BusCodec::kMaxPayload - 4096;

bool isClusterId(const std::string& id) { return id.compare(0, kClusterPrefix.size(), kClusterPrefix) == 0; }

// 1:1 conversations (direct/...) join two plugins of one node around one connection: they stay
// on the node.
bool bridged(const std::string& roomId) { return roomId.compare(0, 7, "direct/") != 0; }

// The payload field that names one other member, by kind; nullptr if the kind names none.
const char* addresseeField(const std::string& kind) {
    if (kind == hub::kind::Chat || kind == hub::kind::Composing)
        return "to";
    if (kind == hub::kind::Kick || kind == hub::kind::Mute)
        return "target";
    if (kind == hub::kind::FileShared)
        return "from";
    return nullptr;
}

std::string stringField(const Json& data, const char* key) {
    json_t* value = data.member(key);
    return json_is_string(value) ? json_string_value(value) : "";
}

bool isPublicChat(const hub::RoomEvent& event) {
    return event.kind == hub::kind::Chat && stringField(event.data, "to").empty();
}

bool inHistory(const hub::Room& room, const std::string& messageId) {
    for (const auto& event : room.history())
        if (stringField(event.data, "id") == messageId)
            return true;
    return false;
}

std::string lastToken(const std::string& subject) {
    size_t dot = subject.rfind('.');
    return dot == std::string::npos ? subject : subject.substr(dot + 1);
}

}  // namespace

// Publishes a room's local events. Held by the room weakly and by the bridge's RoomLink; it
// reaches the bridge only through the gate, so a post still running when the bridge stops
// (or is gone) does nothing.
class HubBridge::LocalListener : public hub::RoomListener {
public:
    LocalListener(HubBridge* bridge, std::shared_ptr<HandlerGate> gate, std::string subject)
        : bridge_(bridge), gate_(std::move(gate)), subject_(std::move(subject)) {}

    void onRoomEvent(const hub::RoomEvent& event) override {
        // Before the gate: what the bridge itself posts comes back here on its own thread.
        if (event.plugin == kPlugin || !BusCodec::carries(event.kind))
            return;
        // Said to one member: it travels only when that member is on another node.
        if (event.kind != hub::kind::FileShared) {
            if (const char* field = addresseeField(event.kind)) {
                std::string addressee = stringField(event.data, field);
                if (!addressee.empty() && !isClusterId(addressee))
                    return;
            }
        }
        auto entry = gate_->enter();
        if (entry)
            bridge_->publishLocal(subject_, event);
    }

private:
    HubBridge* bridge_;
    std::shared_ptr<HandlerGate> gate_;
    std::string subject_;
};

struct HubBridge::RoomLink {
    std::shared_ptr<LocalListener> listener;
    hub::Subscription watch;
    std::unique_ptr<BusSubscription> subscription;
    bool historyWanted = true;  // until the first answer with history in it (or the store's)
    std::string lastChatId;     // the newest public chat seen in the room here
    // Other nodes' members as their last live joined/updated/left said, with that event's
    // number in its node's room: a roster answer taken before it (lower `through`) arrives
    // after it on another subscription and must neither bring a member back nor remove one
    // that joined since; an answer taken after it replaces that node's members.
    struct Seen {
        uint64_t sequence = 0;
        bool left = false;
        std::chrono::steady_clock::time_point at;
    };
    std::map<std::string, Seen> seen;
};

namespace {
// Longer than any answer takes to arrive: an answer is always newer than what is older than
// this, so old entries go and the map stays small.
constexpr auto kSeenMemory = std::chrono::seconds(60);
}  // namespace

void HubBridge::noteLive(const std::string& roomId, const std::string& memberId, uint64_t sequence, bool left) {
    std::lock_guard lock(mutex_);
    auto it = links_.find(roomId);
    if (it == links_.end())
        return;
    auto& seen = it->second->seen;
    auto now = std::chrono::steady_clock::now();
    for (auto entry = seen.begin(); entry != seen.end();)
        entry = now - entry->second.at > kSeenMemory ? seen.erase(entry) : std::next(entry);
    seen[memberId] = RoomLink::Seen{sequence, left, now};
}

std::optional<std::pair<uint64_t, bool>> HubBridge::lastSeen(const std::string& roomId,
                                                              const std::string& memberId) const {
    std::lock_guard lock(mutex_);
    auto it = links_.find(roomId);
    if (it == links_.end())
        return std::nullopt;
    auto entry = it->second->seen.find(memberId);
    if (entry == it->second->seen.end() || std::chrono::steady_clock::now() - entry->second.at > kSeenMemory)
        return std::nullopt;
    return std::make_pair(entry->second.sequence, entry->second.left);
}

HubBridge::HubBridge(hub::Hub& hub, Bus& bus, std::string nodeId)
    : hub_(hub), bus_(bus), nodeId_(std::move(nodeId)), ownPrefix_(kClusterPrefix + nodeId_ + "/") {
    if (!BusCodec::validNodeId(nodeId_))
        throw std::invalid_argument("cluster node id '" + nodeId_ + "' must be 1-128 characters of [A-Za-z0-9._-]");
}

HubBridge::~HubBridge() { stop(); }

void HubBridge::useChatStore(ChatStore* store, KeptRoom kept) {
    std::lock_guard serial(startStop_);
    std::lock_guard lock(mutex_);
    chatStore_ = store;
    kept_ = std::move(kept);
}

void HubBridge::noteChat(const std::string& roomId, const std::string& messageId) {
    std::lock_guard lock(mutex_);
    auto it = links_.find(roomId);
    if (it != links_.end() && !messageId.empty())
        it->second->lastChatId = messageId;
}

bool HubBridge::start() {
    std::lock_guard serial(startStop_);
    if (running_)
        return true;
    // A node restarted under the same id within a lease never left the registry, so nobody
    // forgot its old process's members: this node's first word says it is gone (before any
    // subscription, so we do not hear it ourselves; our new members' joins come after it).
    bus_.publish(kNodeGoneSubject, BusCodec::encode(BusPayload{BusPayload::Type::NodeGone, nodeId_, {}, {}}));
    gate_ = std::make_shared<HandlerGate>();
    auto gate = gate_;
    inbox_ = bus_.newInbox();
    if (!inbox_.empty()) {
        inboxSubscription_ = bus_.subscribe(inbox_ + ".>", [this, gate](const BusMessage& message) {
            if (auto entry = gate->enter())
                onInboxMessage(message);
        });
    }
    nodeGoneSubscription_ = bus_.subscribe(kNodeGoneSubject, [this, gate](const BusMessage& message) {
        if (auto entry = gate->enter())
            onNodeGone(message);
    });
    if (!inboxSubscription_ || !nodeGoneSubscription_) {
        SYLK_LOG(LOG_ERR, "cluster", "node %s: the bus refused the bridge's subscriptions; rooms stay local",
                 nodeId_.c_str());
        inboxSubscription_.reset();
        nodeGoneSubscription_.reset();
        gate_->close();
        return false;
    }
    running_ = true;
    lifecycle_ = hub_.addLifecycle(hub::Hub::Lifecycle{
        [this](hub::Room& room) { attach(room); },
        [this](const std::string& roomId) { detach(roomId); },
    });
    // Rooms opened before: attached here, outside the hub's lock. One the hub forgets meanwhile
    // is detached again below.
    for (const auto& roomId : hub_.roomIds()) {
        auto room = hub_.find(roomId);
        if (!room)
            continue;
        attach(*room);
        if (hub_.find(roomId) != room)
            detach(roomId);
    }
    SYLK_LOG(LOG_INFO, "cluster", "node %s: bridging hub rooms over the bus", nodeId_.c_str());
    return true;
}

void HubBridge::stop() {
    std::lock_guard serial(startStop_);
    if (!running_.exchange(false))
        return;
    hub_.removeLifecycle(lifecycle_);
    gate_->close();  // no bus handler or listener of ours runs past this
    // Said after the last local event we publish: one published later (a join) would reach the
    // others after it and stay there.
    bus_.publish(kNodeGoneSubject, BusCodec::encode(BusPayload{BusPayload::Type::NodeGone, nodeId_, {}, {}}));
    std::map<std::string, std::unique_ptr<RoomLink>> links;
    {
        std::lock_guard lock(mutex_);
        links.swap(links_);
    }
    inboxSubscription_.reset();
    nodeGoneSubscription_.reset();
    for (auto& [roomId, link] : links) {
        link.reset();
        removeMembers(roomId, kClusterPrefix);  // other nodes' members are no longer kept up to date
    }
    SYLK_LOG(LOG_INFO, "cluster", "node %s: bridge stopped", nodeId_.c_str());
}

// Under the hub's lock (Lifecycle::opened), or from start(): must not call the hub.
void HubBridge::attach(hub::Room& room) {
    const std::string roomId = room.id();
    if (!running_ || !bridged(roomId))
        return;
    const std::string prefix = RoomSubject::prefix(roomId);
    auto gate = gate_;
    {
        std::lock_guard lock(mutex_);
        if (links_.count(roomId))
            return;
        auto link = std::make_unique<RoomLink>();
        link->listener = std::make_shared<LocalListener>(this, gate, prefix + "." + kEvents);
        link->watch = room.watch(link->listener);
        link->subscription = bus_.subscribe(prefix + ".*", [this, gate, roomId](const BusMessage& message) {
            if (auto entry = gate->enter())
                onRoomMessage(roomId, message);
        });
        links_.emplace(roomId, std::move(link));
    }
    // Who is in the room elsewhere, and what was said there: the answers come to our inbox. The
    // chat store holds what was said even where no node has the room open any more (its node
    // died); only when it does not answer do the nodes that have the room open tell us.
    askRoster(roomId);
    if (restoreStoredChat(room))
        return;
    bus_.publishRequest(prefix + "." + kHistory, inbox_ + "." + kHistory + "." + RoomSubject::token(roomId),
                        BusCodec::encode(BusPayload{BusPayload::Type::HistoryRequest, nodeId_, {}, {}}));
}

// Under the hub's lock, before the opener gets the room: a joiner's history must hold the stored
// chat. The store's wait bounds how long the hub stays locked when NATS is slow.
bool HubBridge::restoreStoredChat(hub::Room& room) {
    ChatStore* store;
    {
        std::lock_guard lock(mutex_);
        store = chatStore_;
    }
    if (!store)
        return false;
    const std::string roomId = room.id();
    ChatStore::Loaded loaded = store->load(RoomSubject::prefix(roomId) + "." + kChat);
    if (!loaded.reachable)
        return false;
    std::set<std::string> known;  // a kept room's history restored from its file may hold some
    for (const auto& event : room.history())
        known.insert(stringField(event.data, "id"));
    // The room ended here a moment ago and its purge has not run yet: what was said up to its
    // last chat belongs to the room that ended, not to this one. Skipped, and the purge told
    // where it ends, so it still runs while the room is open again.
    size_t first = 0;
    {
        std::lock_guard lock(mutex_);
        auto ended = endedRooms_.find(roomId);
        for (size_t i = 0; ended != endedRooms_.end() && i < loaded.messages.size(); ++i) {
            auto payload = BusCodec::decode(loaded.messages[i].payload, nullptr);
            if (payload && !payload->events.empty() &&
                stringField(payload->events.front().data, "id") == ended->second.lastChatId) {
                ended->second.sequence = loaded.messages[i].sequence;
                first = i + 1;
            }
        }
    }
    std::vector<hub::RoomEvent> events;
    std::string lastId;
    for (const auto& stored : std::vector<ChatStore::Stored>(loaded.messages.begin() + static_cast<std::ptrdiff_t>(first),
                                                              loaded.messages.end())) {
        std::string error;
        auto payload = BusCodec::decode(stored.payload, &error);
        if (!payload || payload->type != BusPayload::Type::Event || !isPublicChat(payload->events.front())) {
            ++refused_;
            SYLK_LOG(LOG_WARN, "cluster", "room %s: skipped stored chat #%llu: %s", roomId.c_str(),
                     static_cast<unsigned long long>(stored.sequence), error.empty() ? "not a public chat" : error.c_str());
            continue;
        }
        const hub::RoomEvent& said = payload->events.front();
        lastId = stringField(said.data, "id");
        if (!known.insert(lastId).second)
            continue;
        // This node's own earlier chat (a restart under the same id) is named like another node's:
        // its members are gone, the history only shows who said it.
        std::string member = payload->node == nodeId_ ? kClusterPrefix + nodeId_ + "/" + said.member
                                                      : toLocal(payload->node, said.member);
        events.push_back(hub::RoomEvent{roomId, said.kind, kPlugin, member, said.data, 0});
    }
    restored_ += events.size();
    if (!events.empty())
        SYLK_LOG(LOG_INFO, "cluster", "room %s: %zu chat message(s) read back from the chat store", roomId.c_str(),
                 events.size());
    room.restoreHistory(std::move(events));
    std::lock_guard lock(mutex_);
    auto it = links_.find(roomId);
    if (it != links_.end()) {
        it->second->historyWanted = false;  // the store has what any node could tell
        if (!lastId.empty())
            it->second->lastChatId = lastId;
    }
    return true;
}

void HubBridge::askRoster(const std::string& roomId) {
    bus_.publishRequest(RoomSubject::prefix(roomId) + "." + kRoster,
                        inbox_ + "." + kRoster + "." + RoomSubject::token(roomId),
                        BusCodec::encode(BusPayload{BusPayload::Type::RosterRequest, nodeId_, {}, {}}));
}

void HubBridge::resync() {
    std::vector<std::string> roomIds;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [roomId, link] : links_)
            roomIds.push_back(roomId);
    }
    for (const auto& roomId : roomIds)
        askRoster(roomId);
}

size_t HubBridge::refreshRosters(size_t count) {
    std::vector<std::string> roomIds;
    {
        std::lock_guard lock(mutex_);
        count = std::min(count, links_.size());
        auto it = links_.upper_bound(refreshCursor_);
        while (roomIds.size() < count) {
            if (it == links_.end())
                it = links_.begin();
            roomIds.push_back(it->first);
            ++it;
        }
        if (!roomIds.empty())
            refreshCursor_ = roomIds.back();
    }
    for (const auto& roomId : roomIds)
        askRoster(roomId);
    return roomIds.size();
}

size_t HubBridge::openRooms() const {
    std::lock_guard lock(mutex_);
    return links_.size();
}

// Under the hub's lock (Lifecycle::forgotten): must not call the hub. Ending the subscriptions
// does not wait for a running handler (that one may be the caller), so it cannot deadlock.
void HubBridge::detach(const std::string& roomId) {
    std::unique_ptr<RoomLink> link;
    {
        std::lock_guard lock(mutex_);
        auto it = links_.find(roomId);
        if (it == links_.end())
            return;
        link = std::move(it->second);
        links_.erase(it);
        // The room ended here: nobody this node knew of was in it. Its stored chat goes too
        // (purgeEnded, outside the hub's lock), unless the room is kept (a persistent room's
        // history outlives it, docs/decisions.md).
        if (chatStore_ && !link->lastChatId.empty() && !(kept_ && kept_(roomId)))
            endedRooms_[roomId] = Ended{link->lastChatId, 0};
    }
}

void HubBridge::purgeEnded(size_t max) {
    std::map<std::string, Ended> ended;
    ChatStore* store;
    {
        std::lock_guard lock(mutex_);
        while (!endedRooms_.empty() && ended.size() < max)
            ended.insert(endedRooms_.extract(endedRooms_.begin()));
        store = chatStore_;
    }
    if (!store)
        return;
    for (const auto& [roomId, entry] : ended) {
        const std::string subject = RoomSubject::prefix(roomId) + "." + kChat;
        const std::string& lastChatId = entry.lastChatId;
        if (hub_.find(roomId)) {
            // Open here again: only what the ended room said goes, when its read-back found it.
            if (entry.sequence && store->purgeThrough(subject, entry.sequence)) {
                ++purged_;
                SYLK_LOG(LOG_INFO, "cluster", "room %s ended and began again: the old chat is purged", roomId.c_str());
            }
            continue;
        }
        ChatStore::Last last = store->last(subject);
        if (!last.reachable) {
            std::lock_guard lock(mutex_);
            endedRooms_.emplace(roomId, entry);  // next tick
            continue;
        }
        if (!last.message)
            continue;  // nothing stored (another node purged it already)
        auto payload = BusCodec::decode(last.message->payload, nullptr);
        std::string newest = payload && !payload->events.empty() ? stringField(payload->events.front().data, "id") : "";
        if (newest != lastChatId) {
            // Said after the last chat we saw: the room lives on elsewhere (or began again).
            SYLK_LOG(LOG_INFO, "cluster", "room %s ended here but has newer chat elsewhere: its stored chat stays",
                     roomId.c_str());
            continue;
        }
        if (store->purgeThrough(subject, last.message->sequence)) {
            ++purged_;
            SYLK_LOG(LOG_INFO, "cluster", "room %s ended: its stored chat is purged", roomId.c_str());
        }
    }
}

std::string HubBridge::toLocal(const std::string& fromNode, const std::string& memberId) const {
    if (memberId.empty())
        return memberId;
    if (memberId.compare(0, ownPrefix_.size(), ownPrefix_) == 0)
        return memberId.substr(ownPrefix_.size());  // one of ours, as the other node named it
    if (isClusterId(memberId))
        return memberId;  // a third node's member: named the same on every node
    return kClusterPrefix + fromNode + "/" + memberId;
}

HubBridge::Stats HubBridge::stats() const {
    return Stats{published_.load(), applied_.load(), refused_.load(), stored_.load(), restored_.load(), purged_.load()};
}

void HubBridge::publishLocal(const std::string& subject, const hub::RoomEvent& event) {
    BusPayload payload{BusPayload::Type::Event, nodeId_, {event}, {}};
    std::string text = BusCodec::encode(payload);
    if (text.size() > BusCodec::kMaxPayload) {
        SYLK_LOG(LOG_WARN, "cluster", "room %s: a '%s' event of %zu bytes is over the bus limit; other nodes miss it",
                 event.room.c_str(), event.kind.c_str(), text.size());
        return;
    }
    if (isPublicChat(event)) {
        noteChat(event.room, stringField(event.data, "id"));
        ChatStore* store;
        {
            std::lock_guard lock(mutex_);
            store = chatStore_;
        }
        // One publish on the room's chat subject: the other nodes with the room get it like any
        // event, and the stream keeps it; its acknowledgement (the server stored the chat)
        // comes before the poster acknowledges the chat to its sender.
        if (store && store->append(RoomSubject::prefix(event.room) + "." + kChat, text, stringField(event.data, "id"))) {
            ++published_;
            ++stored_;
            return;
        }
        // Not stored (no stream yet, NATS slow or away): on the bus as without a store. A copy
        // the stream did take after all arrives twice elsewhere and is kept once (its id).
    }
    if (!bus_.publish(subject, text))
        return;
    ++published_;
    // The poster acknowledges a chat to its sender when post() returns (the video room's
    // `message_sent`, the focus's 200): by then the NATS server must have it, so the other
    // nodes with the room get it even when this node is killed right after. Bounded: a node cut
    // off from NATS acknowledges late rather than never (its chat stays local then).
    if (event.kind == hub::kind::Chat)
        bus_.flush(kChatFlushTimeout);
}

std::optional<BusPayload> HubBridge::decode(const BusMessage& message, BusPayload::Type expected) {
    std::string error;
    auto payload = BusCodec::decode(message.data, &error);
    if (payload && payload->type != expected)
        error = "a payload of the wrong type for this subject";
    else if (payload)
        return payload;
    ++refused_;
    SYLK_LOG(LOG_WARN, "cluster", "node %s: dropped a bus message on %s: %s", nodeId_.c_str(), message.subject.c_str(),
             error.c_str());
    return std::nullopt;
}

void HubBridge::onRoomMessage(const std::string& roomId, const BusMessage& message) {
    const std::string what = lastToken(message.subject);
    if (what == kEvents || what == kChat) {
        auto payload = decode(message, BusPayload::Type::Event);
        if (payload && payload->node != nodeId_)  // our own, echoed by the server
            applyEvent(roomId, payload->node, payload->events.front());
    } else if (what == kRoster) {
        answerRoster(roomId, message);
    } else if (what == kHistory) {
        answerHistory(roomId, message);
    }
    // Other subjects under the room's prefix are not the bridge's.
}

void HubBridge::onInboxMessage(const BusMessage& message) {
    // <inbox>.<roster|history>.<token>
    std::string rest = message.subject.substr(std::min(message.subject.size(), inbox_.size() + 1));
    size_t dot = rest.find('.');
    auto roomId = dot == std::string::npos ? std::nullopt : RoomSubject::roomName(rest.substr(dot + 1));
    if (!roomId) {
        ++refused_;
        SYLK_LOG(LOG_WARN, "cluster", "node %s: dropped an answer on %s: no room in the subject", nodeId_.c_str(),
                 message.subject.c_str());
        return;
    }
    std::string what = rest.substr(0, dot);
    if (what == kRoster) {
        if (auto payload = decode(message, BusPayload::Type::Roster))
            applyRoster(*roomId, *payload);
    } else if (what == kHistory) {
        if (auto payload = decode(message, BusPayload::Type::History))
            applyHistory(*roomId, *payload);
    }
}

void HubBridge::onNodeGone(const BusMessage& message) {
    auto payload = decode(message, BusPayload::Type::NodeGone);
    if (payload && payload->node != nodeId_)
        forgetNode(payload->node);
}

void HubBridge::forgetNode(const std::string& node) {
    if (!BusCodec::validNodeId(node) || node == nodeId_)
        return;
    std::vector<std::string> roomIds;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [roomId, link] : links_)
            roomIds.push_back(roomId);
    }
    for (const auto& roomId : roomIds)
        removeMembers(roomId, kClusterPrefix + node + "/");
}

std::map<std::string, std::vector<hub::Member>> HubBridge::callableMembersOf(const std::string& node) const {
    std::map<std::string, std::vector<hub::Member>> callable;
    if (!BusCodec::validNodeId(node) || node == nodeId_)
        return callable;
    std::vector<std::string> roomIds;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [roomId, link] : links_)
            roomIds.push_back(roomId);
    }
    const std::string prefix = kClusterPrefix + node + "/";
    for (const auto& roomId : roomIds) {
        auto room = hub_.find(roomId);
        if (!room)
            continue;
        for (const auto& member : room->members())
            if (!member.callBack.empty() && member.id.compare(0, prefix.size(), prefix) == 0)
                callable[roomId].push_back(member);
    }
    return callable;
}

void HubBridge::removeMembers(const std::string& roomId, const std::string& idPrefix) {
    auto room = hub_.find(roomId);
    if (!room)
        return;
    for (const auto& member : room->members())
        if (member.id.compare(0, idPrefix.size(), idPrefix) == 0)
            room->leave(member.id);
    room.reset();
    hub_.closeIfIdle(roomId);
}

Json HubBridge::mapData(const std::string& fromNode, const hub::RoomEvent& event) const {
    const char* field = addresseeField(event.kind);
    std::string addressee = field ? stringField(event.data, field) : "";
    if (addressee.empty())
        return event.data;
    Json data = Json::adopt(json_deep_copy(event.data.get()));
    data.set(field, toLocal(fromNode, addressee));
    return data;
}

void HubBridge::applyEvent(const std::string& roomId, const std::string& node, const hub::RoomEvent& event) {
    if (isClusterId(event.member)) {
        ++refused_;
        SYLK_LOG(LOG_WARN, "cluster", "node %s: dropped a '%s' event from node %s about %s: not its own member",
                 nodeId_.c_str(), event.kind.c_str(), node.c_str(), event.member.c_str());
        return;
    }
    auto room = hub_.find(roomId);
    if (!room)
        return;  // forgotten here meanwhile
    const std::string member = toLocal(node, event.member);
    ++applied_;
    if (event.kind == hub::kind::Joined || event.kind == hub::kind::Updated) {
        hub::Member joined = hub::readMember(event);  // the codec checked it reads
        joined.id = member;
        joined.plugin = kPlugin;
        noteLive(roomId, member, event.sequence, false);
        room->join(joined);
    } else if (event.kind == hub::kind::Left) {
        noteLive(roomId, member, event.sequence, true);
        room->leave(member);
        room.reset();
        hub_.closeIfIdle(roomId);  // the last member of another node went and nobody here uses it
    } else if (event.kind == hub::kind::Chat && inHistory(*room, stringField(event.data, "id"))) {
        // Sent just before this node opened the room: the history answer (or the store) brought it already.
    } else {
        if (isPublicChat(event))
            noteChat(roomId, stringField(event.data, "id"));
        room->post(event.kind, kPlugin, member, mapData(node, event));
    }
}

void HubBridge::applyRoster(const std::string& roomId, const BusPayload& roster) {
    if (roster.node == nodeId_)
        return;
    auto room = hub_.find(roomId);
    if (!room)
        return;
    const std::string nodePrefix = kClusterPrefix + roster.node + "/";
    std::set<std::string> present;  // that node's members here
    for (const auto& member : room->members())
        if (member.id.compare(0, nodePrefix.size(), nodePrefix) == 0)
            present.insert(member.id);
    std::set<std::string> answered;
    // The answer is that node's members as of its event number `through`; live events travel
    // on another subscription, so some may be newer than the answer (applied already, or on
    // their way) and some older. A live event numbered above `through` wins over the answer.
    for (hub::Member member : roster.members) {
        if (isClusterId(member.id))
            continue;  // a node answers with its own members only
        member.id = toLocal(roster.node, member.id);
        member.plugin = kPlugin;
        answered.insert(member.id);
        if (present.count(member.id))
            continue;
        auto seen = lastSeen(roomId, member.id);
        bool leftSince = seen && seen->second && (roster.through == 0 || seen->first > roster.through);
        if (!leftSince)
            room->join(member);
    }
    // Members of that node here but not in the answer: they left and their `left` was lost
    // (NATS core delivers at most once), unless they joined after the answer was taken. An
    // answer without `through` (an older node) only adds, as before.
    if (roster.through == 0)
        return;
    bool removed = false;
    for (const auto& id : present) {
        if (answered.count(id))
            continue;
        auto seen = lastSeen(roomId, id);
        if (seen && seen->first > roster.through)
            continue;  // joined (or updated) after the snapshot: the answer cannot know it yet
        SYLK_LOG(LOG_INFO, "cluster", "room %s: %s is not in node %s's roster any more; it leaves here",
                 roomId.c_str(), id.c_str(), roster.node.c_str());
        room->leave(id);
        removed = true;
    }
    if (removed) {
        room.reset();
        hub_.closeIfIdle(roomId);
    }
}

void HubBridge::applyHistory(const std::string& roomId, const BusPayload& history) {
    if (history.node == nodeId_ || history.events.empty())
        return;
    {
        std::lock_guard lock(mutex_);
        auto it = links_.find(roomId);
        if (it == links_.end() || !it->second->historyWanted)
            return;  // another node answered first: the nodes' histories are the same
        it->second->historyWanted = false;
    }
    auto room = hub_.find(roomId);
    if (!room)
        return;
    // A live chat may have arrived before the answer that also holds it: kept once.
    std::set<std::string> known;
    for (const auto& event : room->history())
        known.insert(stringField(event.data, "id"));
    for (const auto& event : history.events) {
        if (known.count(stringField(event.data, "id")))
            continue;
        ++applied_;
        noteChat(roomId, stringField(event.data, "id"));
        room->post(event.kind, kPlugin, toLocal(history.node, event.member), mapData(history.node, event));
    }
}

void HubBridge::answerRoster(const std::string& roomId, const BusMessage& request) {
    auto payload = decode(request, BusPayload::Type::RosterRequest);
    if (!payload || payload->node == nodeId_ || request.reply.empty())
        return;
    auto room = hub_.find(roomId);
    if (!room)
        return;
    BusPayload roster{BusPayload::Type::Roster, nodeId_, {}, {}};
    auto snapshot = room->membersSnapshot();
    roster.through = snapshot.through;
    for (const auto& member : snapshot.members)
        if (member.plugin != kPlugin)
            roster.members.push_back(member);
    bus_.publish(request.reply, BusCodec::encode(roster));
}

void HubBridge::answerHistory(const std::string& roomId, const BusMessage& request) {
    auto payload = decode(request, BusPayload::Type::HistoryRequest);
    if (!payload || payload->node == nodeId_ || request.reply.empty())
        return;
    auto room = hub_.find(roomId);
    if (!room)
        return;
    std::vector<hub::RoomEvent> events = room->history();
    if (events.empty())
        return;  // nothing to give: a node with history answers
    // The newest that fit in one bus message, oldest first.
    size_t budget = kHistoryBudget;
    size_t first = events.size();
    while (first > 0) {
        size_t size = events[first - 1].data.serializedSize() + events[first - 1].member.size() + 64;
        if (size > budget)
            break;
        budget -= size;
        --first;
    }
    if (first > 0)
        SYLK_LOG(LOG_INFO, "cluster", "room %s: history answer carries the newest %zu of %zu messages (bus limit)",
                 roomId.c_str(), events.size() - first, events.size());
    BusPayload history{BusPayload::Type::History, nodeId_, {}, {}};
    history.events.assign(events.begin() + static_cast<std::ptrdiff_t>(first), events.end());
    if (!history.events.empty())
        bus_.publish(request.reply, BusCodec::encode(history));
}

}  // namespace sylk::cluster
