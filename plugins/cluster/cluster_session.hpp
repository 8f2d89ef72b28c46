// A handle on janus.plugin.sylk.cluster: no media and no state of its own, only requests
// ("owner", "nodes", "status") that ask the node.
#pragma once

#include "sylkcore/janus/plugin_session.hpp"

namespace sylk::cluster {

class ClusterSession : public janus::PluginSession {
public:
    using PluginSession::PluginSession;
};

}  // namespace sylk::cluster
