// janus.plugin.sylk.cluster: this janus as one node of a cluster (docs/cluster.md). It keeps
// the node in the registry and the leases of the rooms that have members here, and answers
// who owns a room and which nodes are alive: on its handles, on the admin API and, for other
// plugins, as hub service cluster.owner. Without `nats` configured it stays idle and answers
// as the single node it is.
#pragma once

#include <memory>

#include "cluster_node.hpp"
#include "lease_keeper.hpp"
#include "sylkcore/janus/plugin.hpp"

namespace sylk::cluster {

class ClusterSession;

class ClusterPlugin : public janus::Plugin {
public:
    ClusterPlugin();

protected:
    void configure(const janus::PluginConfig& config) override;
    std::shared_ptr<janus::PluginSession> newSession(janus::Handle* handle) override;
    void onShutdown() override;

private:
    // One handler per request; the same three on handles and on the admin API.
    Reply owner(RequestReader& reader, const Request& request);
    Reply nodes(RequestReader& reader, const Request& request);
    Reply status(RequestReader& reader, const Request& request);
    Reply sessionOwner(ClusterSession& session, RequestReader& reader, const Request& request);
    Reply sessionNodes(ClusterSession&, RequestReader& reader, const Request& request) { return nodes(reader, request); }
    Reply sessionStatus(ClusterSession&, RequestReader& reader, const Request& request) { return status(reader, request); }
    // Hub service cluster.owner: {"room": R} -> the owner answer.
    static Json ownerService(ClusterNode& node, const Json& request);
    static Json ownerOf(ClusterNode& node, RequestReader& reader, ClusterSession* session = nullptr);
    // cluster.self, cluster.call, cluster.send, cluster.room_nodes (media across nodes).
    void offerNodeServices();

    // Shared with the hub service's handler: a call in flight on another plugin's thread when
    // janus shuts us down keeps the node alive until it returns.
    std::shared_ptr<ClusterNode> node_;
    std::unique_ptr<LeaseKeeper> keeper_;  // only with a cluster configured
};

}  // namespace sylk::cluster
