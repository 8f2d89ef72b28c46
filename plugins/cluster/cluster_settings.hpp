// janus.plugin.sylk.cluster's configuration. Every option has an embedded default, and the
// default `nats` is empty: a node without configuration is a single node, and the plugin
// loads and stays idle, so nothing changes for anyone not running a cluster.
#pragma once

#include <chrono>
#include <string>

#include "sylkcore/janus/plugin_config.hpp"

namespace sylk::cluster {

struct ClusterSettings {
    static constexpr int64_t kDefaultLeaseMs = 5000;
    // The most any plugin can be set to replay (history_size, history_length, history: 1000), so
    // the chat store never holds less of a room than a node's memory would.
    static constexpr int64_t kDefaultChatHistory = 1000;

    std::string nats;  // nats://host:port[,nats://...]; empty: no cluster
    std::string node;  // this node's id in the buckets (default: the host name, made a valid id)
    std::chrono::milliseconds lease{kDefaultLeaseMs};
    std::string wsUrl;    // where clients reach this node (told to clients sent here)
    std::string sipUri;
    std::string httpUrl;
    // Where other nodes send this node media (plain RTP/UDP on the cluster's private network):
    // option media_ip; default the host of sip_uri or ws_url when it is an IP literal, else
    // 127.0.0.1 (docs/cluster.md, "Calls between nodes").
    std::string mediaIp;
    // Every open room's roster is asked again within this time (0: only on reconnects).
    std::chrono::milliseconds rosterRefresh{30'000};
    // Public chat messages kept per room in NATS (stream SYLK_ROOM_CHAT); 0: not kept there.
    int64_t chatHistory = kDefaultChatHistory;

    bool enabled() const { return !nats.empty(); }
    // Renewals and the hub poll run this often: three chances to renew within a lease.
    std::chrono::milliseconds tick() const { return lease / 3; }
    // How much sooner than its entry a lease holder gives up (docs/cluster.md): covers the
    // time an answer "I own it" takes to reach whoever asked.
    std::chrono::milliseconds margin() const { return lease / 10; }
    // A JetStream call that takes longer than this counts as NATS unreachable.
    std::chrono::milliseconds requestTimeout() const { return tick(); }
    // How long a chat's poster waits for the chat store's acknowledgement (and a room's opening
    // for its stored chat): as long as it waited for the bus's confirmation before the store.
    std::chrono::milliseconds chatStoreWait() const { return std::min(tick(), std::chrono::milliseconds(500)); }

    // Throws std::invalid_argument naming the option that does not parse.
    static ClusterSettings read(const janus::PluginConfig& config);
};

}  // namespace sylk::cluster
