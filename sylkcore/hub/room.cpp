#include "room.hpp"

#include <algorithm>

namespace sylk::hub {

Room::Room(std::string id) : id_(std::move(id)) {}

void Room::join(const Member& member) {
    std::vector<std::shared_ptr<RoomListener>> targets;
    RoomEvent event;
    {
        std::lock_guard lock(mutex_);
        bool known = members_.count(member.id) > 0;
        members_[member.id] = member;
        // Numbered in the same step as the change: a members snapshot and the event agree.
        event = RoomEvent{id_, known ? kind::Updated : kind::Joined, member.plugin, member.id, memberPayload(member), 0};
        targets = numberLocked(event);
    }
    deliver(targets, event);
}

bool Room::leave(const std::string& memberId) {
    std::vector<std::shared_ptr<RoomListener>> targets;
    RoomEvent event;
    {
        std::lock_guard lock(mutex_);
        auto it = members_.find(memberId);
        if (it == members_.end())
            return false;
        Member gone = it->second;
        members_.erase(it);
        talking_.erase(memberId);
        event = RoomEvent{id_, kind::Left, gone.plugin, gone.id, leftPayload(gone), 0};
        targets = numberLocked(event);
    }
    deliver(targets, event);
    return true;
}

Room::MembersSnapshot Room::membersSnapshot() const {
    std::lock_guard lock(mutex_);
    MembersSnapshot snapshot;
    snapshot.through = sequence_;
    for (const auto& [id, member] : members_)
        snapshot.members.push_back(member);
    return snapshot;
}

std::vector<Member> Room::members() const {
    std::lock_guard lock(mutex_);
    std::vector<Member> list;
    list.reserve(members_.size());
    for (const auto& [id, member] : members_)
        list.push_back(member);
    return list;
}

bool Room::isModerator(const std::string& memberId) const {
    std::lock_guard lock(mutex_);
    auto it = members_.find(memberId);
    return it != members_.end() && it->second.moderator;
}

// Each with whether it talks now: a page that joins while a phone talks lights its tile without
// waiting for the next change.
Json Room::membersJsonExcept(const std::string& plugin) const {
    std::lock_guard lock(mutex_);
    Json list = Json::array();
    for (const auto& [id, member] : members_) {
        if (member.plugin == plugin)
            continue;
        Json entry = Json::object().set("id", member.id).set("display", member.display).set("plugin", member.plugin);
        if (talking_.count(id))
            entry.setBool("talking", true);
        if (member.muted)
            entry.setBool("muted", true);  // a web page shows their tiles' muted microphones
        if (member.mutedByModerator)
            entry.setBool("muted_by_moderator", true);
        list.append(std::move(entry));
    }
    return list;
}

bool Room::idle() const {
    std::lock_guard lock(mutex_);
    return members_.empty() && listeners_.size() == watchers_.size();
}

void Room::post(const std::string& plugin, const std::string& member, EventPayload event) {
    post(event.kind, plugin, member, std::move(event.data));
}

void Room::keepHistory(size_t length) {
    std::lock_guard lock(mutex_);
    historyLength_ = std::min(std::max(historyLength_, length), kMaxHistory);
}

size_t Room::historyLength() const {
    std::lock_guard lock(mutex_);
    return historyLength_;
}

std::vector<RoomEvent> Room::history(size_t max) const {
    std::lock_guard lock(mutex_);
    size_t count = std::min(max, history_.size());
    return std::vector<RoomEvent>(history_.end() - static_cast<std::ptrdiff_t>(count), history_.end());
}

Room::HistorySnapshot Room::historySnapshot(size_t max) const {
    std::lock_guard lock(mutex_);
    size_t count = std::min(max, history_.size());
    return {std::vector<RoomEvent>(history_.end() - static_cast<std::ptrdiff_t>(count), history_.end()), sequence_};
}

bool Room::attachHistory(std::vector<RoomEvent> restored, HistoryRecorder recorder) {
    std::lock_guard lock(mutex_);
    if (recorder_)
        return false;
    recorder_ = std::move(recorder);
    // Restored events are older than anything posted in this process: they go first.
    for (auto it = restored.rbegin(); it != restored.rend(); ++it) {
        it->room = id_;
        history_.push_front(std::move(*it));
    }
    // Not cut to historyLength_ yet: the plugins raise it (keepHistory) after the room opens.
    while (history_.size() > kMaxHistory)
        history_.pop_front();
    return true;
}

void Room::restoreHistory(std::vector<RoomEvent> events) {
    std::lock_guard lock(mutex_);
    for (auto& event : events) {
        event.room = id_;
        event.sequence = ++sequence_;
        history_.push_back(std::move(event));
    }
    while (history_.size() > kMaxHistory)
        history_.pop_front();
}

namespace {

// Only valid public messages are history: a private one must never be replayed to others, and
// one that breaks the schema is dropped by every reader anyway.
bool isPublicChat(const RoomEvent& event) {
    if (event.kind != kind::Chat)
        return false;
    try {
        return !readChat(event).isPrivate();
    } catch (const InvalidHubEvent&) {
        return false;
    }
}

}  // namespace

void Room::post(const std::string& kind, const std::string& plugin, const std::string& member, Json data) {
    RoomEvent event{id_, kind, plugin, member, std::move(data), 0};
    std::vector<std::shared_ptr<RoomListener>> targets;
    {
        std::lock_guard lock(mutex_);
        targets = numberLocked(event);
    }
    deliver(targets, event);
}

std::vector<std::shared_ptr<RoomListener>> Room::numberLocked(RoomEvent& event) {
    event.sequence = ++sequence_;
    if (event.kind == kind::Talking && members_.count(event.member))
        talking_.insert(event.member);
    else if (event.kind == kind::StoppedTalking)
        talking_.erase(event.member);
    if (isPublicChat(event)) {
        // Kept in the same step that numbers it, so history and live delivery agree on order.
        history_.push_back(event);
        while (history_.size() > historyLength_)
            history_.pop_front();
        if (recorder_)
            recorder_(event, historyLength_);
    }
    std::vector<std::shared_ptr<RoomListener>> targets;
    for (auto it = listeners_.begin(); it != listeners_.end();) {
        if (auto listener = it->second.lock()) {
            targets.push_back(std::move(listener));
            ++it;
        } else {
            watchers_.erase(it->first);
            it = listeners_.erase(it);
        }
    }
    return targets;
}

// Delivered without the lock, so a listener may read the room (members()) meanwhile.
void Room::deliver(const std::vector<std::shared_ptr<RoomListener>>& targets, const RoomEvent& event) {
    for (const auto& listener : targets)
        listener->onRoomEvent(event);
}

Subscription Room::subscribe(const std::shared_ptr<RoomListener>& listener) {
    std::lock_guard lock(mutex_);
    uint64_t token = nextToken_++;
    listeners_[token] = listener;
    return Subscription(weak_from_this(), token);
}

Subscription Room::watch(const std::shared_ptr<RoomListener>& listener) {
    std::lock_guard lock(mutex_);
    uint64_t token = nextToken_++;
    listeners_[token] = listener;
    watchers_.insert(token);
    return Subscription(weak_from_this(), token);
}

void Room::unsubscribe(uint64_t token) {
    std::lock_guard lock(mutex_);
    listeners_.erase(token);
    watchers_.erase(token);
}

void Room::setPin(const std::string& plugin, const std::string& pin) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (pin.empty())
        pins_.erase(plugin);
    else
        pins_[plugin] = pin;
}

bool Room::admitsPin(const std::string& pin) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::all_of(pins_.begin(), pins_.end(), [&](const auto& entry) { return entry.second == pin; });
}

bool Room::pinProtected() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return !pins_.empty();
}

}  // namespace sylk::hub
