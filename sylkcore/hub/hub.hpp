// The process-wide hub: the registry of rooms through which Sylk plugins coordinate.
//
// Janus loads each plugin as its own .so, but every one of them links libsylkcore.so, which
// the dynamic loader maps once per process; instance() lives there, so all plugins share one
// Hub. See docs/architecture.md.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "../api.hpp"
#include "room.hpp"

namespace sylk::hub {

class SYLK_API Hub {
public:
    static Hub& instance();

    // The room with this id, created on first use.
    std::shared_ptr<Room> open(const std::string& roomId);
    // The room, or nullptr.
    std::shared_ptr<Room> find(const std::string& roomId) const;
    std::vector<std::string> roomIds() const;
    // How many rooms the hub holds (admin "info" shows it: a room nobody closed is a leak).
    size_t roomCount() const;
    // Forgets the room if nobody is in it, listening to it or holding it; true if it was forgotten.
    // Whoever releases the last hold of an idle room calls it (rooms are not reference-counted
    // out of the hub by themselves).
    bool closeIfIdle(const std::string& roomId);

    // Whoever keeps rooms beyond the hub's memory (sylkcore/files: persistent rooms' chat history
    // and files) learns when the hub makes a room and when it forgets one: forgetting is the one
    // moment a room ends, whichever plugin held it last. Both run under the hub's lock, so no
    // other thread sees the room before `opened` returns, and `forgotten` runs exactly once per
    // room; they must not call the Hub. setLifecycle sets the one watcher of sylkcore/files (a
    // second call replaces the first).
    struct Lifecycle {
        std::function<void(Room& room)> opened;
        std::function<void(const std::string& roomId)> forgotten;
    };
    void setLifecycle(Lifecycle lifecycle);
    // More watchers (the cluster's HubBridge), each with the same guarantees, called after the
    // setLifecycle one in the order they were added. removeLifecycle returns once no call of that
    // watcher runs any more (the calls run under the hub's lock), so its owner may then go.
    using LifecycleId = uint64_t;
    LifecycleId addLifecycle(Lifecycle lifecycle);
    void removeLifecycle(LifecycleId id);

    // Random per process: plugins that report the same value share this hub.
    const std::string& instanceId() const { return instanceId_; }

    Hub();  // public for unit tests; plugins use instance()
    Hub(const Hub&) = delete;
    Hub& operator=(const Hub&) = delete;

private:
    mutable std::mutex mutex_;
    std::map<std::string, std::shared_ptr<Room>> rooms_;
    std::string instanceId_;
    Lifecycle lifecycle_;
    std::map<LifecycleId, Lifecycle> watchers_;
    LifecycleId nextWatcher_ = 1;
};

}  // namespace sylk::hub
