#include "lease_keeper.hpp"

#include <algorithm>
#include <exception>

#include "sylkcore/hub/hub.hpp"
#include "sylkcore/log.hpp"

namespace sylk::cluster {
namespace {
const char* const kPackage = "janus.plugin.sylk.cluster";
}

LeaseKeeper::LeaseKeeper(ClusterNode& node) : node_(node), thread_([this] { run(); }) {}

LeaseKeeper::~LeaseKeeper() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
    node_.leave();
}

void LeaseKeeper::run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
        // The next tick is due a period after this one started, so a slow NATS call does not
        // stretch the renewal interval by its own length.
        auto due = std::chrono::steady_clock::now() + node_.settings().tick();
        lock.unlock();
        try {
            tick();
        } catch (const std::exception& error) {
            SYLK_LOG(LOG_ERR, kPackage, "lease loop: %s", error.what());
        }
        lock.lock();
        wake_.wait_until(lock, due, [this] { return stopping_; });
    }
}

bool LeaseKeeper::stopping() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stopping_;
}

void LeaseKeeper::tick() {
    if (!node_.openStores() || !node_.connected())
        return;
    node_.announce();
    node_.keepBridge();
    for (const std::string& room : node_.renewAll())
        SYLK_LOG(LOG_WARN, kPackage, "node %s no longer owns room %s", node_.settings().node.c_str(), room.c_str());
    std::vector<std::string> hubRooms = hub::Hub::instance().roomIds();
    std::vector<std::string> owned = node_.ownedRooms();
    for (const std::string& room : hubRooms) {
        if (stopping())
            return;  // each claim may wait a NATS timeout: do not hold janus's shutdown for all of them
        bool ours = std::find(owned.begin(), owned.end(), room) != owned.end();
        bool members = ClusterNode::hasLocalMembers(room);
        if (members && !ours && node_.claim(room))
            SYLK_LOG(LOG_INFO, kPackage, "node %s owns room %s", node_.settings().node.c_str(), room.c_str());
        else if (!members && ours && !node_.heldForJoiner(room))
            node_.release(room);
    }
    // Rooms the hub forgot (everyone left) are released too.
    for (const std::string& room : owned) {
        if (std::find(hubRooms.begin(), hubRooms.end(), room) == hubRooms.end() && !node_.heldForJoiner(room))
            node_.release(room);
    }
    // Last: a slow NATS must delay the chat purges of ended rooms, never the renewals above.
    if (!stopping())
        node_.purgeEndedRooms();
}

}  // namespace sylk::cluster
