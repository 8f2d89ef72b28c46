// The cluster plugin's own loop: every lease/3 it keeps this node's registry entry fresh,
// renews the leases it holds, and looks at the hub: a room with members here is claimed
// (if nobody owns it), a room we own without members here any more is released. Its own
// thread, not the plugin's control loop: NATS calls may wait up to their timeout, and the
// renewals must not queue behind requests (or requests behind a NATS timeout).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "cluster_node.hpp"

namespace sylk::cluster {

class LeaseKeeper {
public:
    explicit LeaseKeeper(ClusterNode& node);
    ~LeaseKeeper();  // stops the loop, then gives every room up (others take over at once)
    LeaseKeeper(const LeaseKeeper&) = delete;
    LeaseKeeper& operator=(const LeaseKeeper&) = delete;

private:
    void run();
    void tick();
    bool stopping();

    ClusterNode& node_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace sylk::cluster
