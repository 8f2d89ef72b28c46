#include "room.hpp"

namespace sylk::hub {

Room::Room(std::string id) : id_(std::move(id)) {}

void Room::join(const Member& member) {
    bool known;
    {
        std::lock_guard lock(mutex_);
        known = members_.count(member.id) > 0;
        members_[member.id] = member;
    }
    post(known ? kind::Updated : kind::Joined, member.plugin, member.id, memberPayload(member));
}

bool Room::leave(const std::string& memberId) {
    Member gone;
    {
        std::lock_guard lock(mutex_);
        auto it = members_.find(memberId);
        if (it == members_.end())
            return false;
        gone = it->second;
        members_.erase(it);
    }
    post(kind::Left, gone.plugin, gone.id, leftPayload(gone));
    return true;
}

std::vector<Member> Room::members() const {
    std::lock_guard lock(mutex_);
    std::vector<Member> list;
    list.reserve(members_.size());
    for (const auto& [id, member] : members_)
        list.push_back(member);
    return list;
}

Json Room::membersJsonExcept(const std::string& plugin) const {
    Json list = Json::array();
    for (const auto& member : members()) {
        if (member.plugin != plugin)
            list.append(Json::object().set("id", member.id).set("display", member.display).set("plugin", member.plugin));
    }
    return list;
}

bool Room::idle() const {
    std::lock_guard lock(mutex_);
    return members_.empty() && listeners_.empty();
}

void Room::post(const std::string& plugin, const std::string& member, EventPayload event) {
    post(event.kind, plugin, member, std::move(event.data));
}

void Room::post(const std::string& kind, const std::string& plugin, const std::string& member, Json data) {
    RoomEvent event{id_, kind, plugin, member, std::move(data), 0};
    std::vector<std::shared_ptr<RoomListener>> targets;
    {
        std::lock_guard lock(mutex_);
        event.sequence = ++sequence_;
        for (auto it = listeners_.begin(); it != listeners_.end();) {
            if (auto listener = it->second.lock()) {
                targets.push_back(std::move(listener));
                ++it;
            } else {
                it = listeners_.erase(it);
            }
        }
    }
    // Delivered without the lock, so a listener may read the room (members()) meanwhile.
    for (const auto& listener : targets)
        listener->onRoomEvent(event);
}

Subscription Room::subscribe(const std::shared_ptr<RoomListener>& listener) {
    std::lock_guard lock(mutex_);
    uint64_t token = nextToken_++;
    listeners_[token] = listener;
    return Subscription(weak_from_this(), token);
}

void Room::unsubscribe(uint64_t token) {
    std::lock_guard lock(mutex_);
    listeners_.erase(token);
}

}  // namespace sylk::hub
