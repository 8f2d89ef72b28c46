#include "hub.hpp"

#include <glib.h>
#include <unistd.h>

namespace sylk::hub {

Hub& Hub::instance() {
    // Function-local static in libsylkcore.so: one per process, whichever plugin asks first.
    static Hub hub;
    return hub;
}

Hub::Hub() {
    gchar* uuid = g_uuid_string_random();
    instanceId_ = std::to_string(getpid()) + "-" + uuid;
    g_free(uuid);
}

std::shared_ptr<Room> Hub::open(const std::string& roomId) {
    std::lock_guard lock(mutex_);
    auto& room = rooms_[roomId];
    if (!room) {
        room = std::make_shared<Room>(roomId);
        if (lifecycle_.opened)
            lifecycle_.opened(*room);
        for (const auto& [id, watcher] : watchers_)
            if (watcher.opened)
                watcher.opened(*room);
    }
    return room;
}

std::shared_ptr<Room> Hub::find(const std::string& roomId) const {
    std::lock_guard lock(mutex_);
    auto it = rooms_.find(roomId);
    return it == rooms_.end() ? nullptr : it->second;
}

std::vector<std::string> Hub::roomIds() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> ids;
    for (const auto& [id, room] : rooms_)
        ids.push_back(id);
    return ids;
}

size_t Hub::roomCount() const {
    std::lock_guard lock(mutex_);
    return rooms_.size();
}

bool Hub::closeIfIdle(const std::string& roomId) {
    std::lock_guard lock(mutex_);
    auto it = rooms_.find(roomId);
    // Also kept while a plugin still holds it (a permanent mixer room with nobody in it, a room
    // the SIP focus watches): forgetting it then would split the room in two, the holder's
    // object and a new one for everyone else. Nobody can take a new reference without our lock.
    if (it == rooms_.end() || !it->second->idle() || it->second.use_count() > 1)
        return false;
    rooms_.erase(it);
    if (lifecycle_.forgotten)
        lifecycle_.forgotten(roomId);
    for (const auto& [id, watcher] : watchers_)
        if (watcher.forgotten)
            watcher.forgotten(roomId);
    return true;
}

void Hub::setLifecycle(Lifecycle lifecycle) {
    std::lock_guard lock(mutex_);
    lifecycle_ = std::move(lifecycle);
}

Hub::LifecycleId Hub::addLifecycle(Lifecycle lifecycle) {
    std::lock_guard lock(mutex_);
    LifecycleId id = nextWatcher_++;
    watchers_.emplace(id, std::move(lifecycle));
    return id;
}

void Hub::removeLifecycle(LifecycleId id) {
    std::lock_guard lock(mutex_);
    watchers_.erase(id);
}

}  // namespace sylk::hub
