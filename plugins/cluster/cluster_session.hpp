// A handle on janus.plugin.sylk.cluster: no media and no state of its own, only requests
// ("owner", "nodes", "status") that ask the node.
#pragma once

#include <mutex>
#include <string>

#include "sylkcore/janus/plugin_session.hpp"

namespace sylk::cluster {

class ClusterSession : public janus::PluginSession {
public:
    using PluginSession::PluginSession;

    // The room this handle last asked about `joining`: a page joins one room at a time, so a
    // handle holds at most one room for a joiner (asking for another lets the first go).
    // Returns the room it held before, empty if none or the same.
    std::string holdForJoin(const std::string& room) {
        std::lock_guard lock(mutex_);
        std::string previous = joiningRoom_ == room ? std::string() : joiningRoom_;
        joiningRoom_ = room;
        return previous;
    }

private:
    std::mutex mutex_;
    std::string joiningRoom_;
};

}  // namespace sylk::cluster
