#include "cluster_settings.hpp"

#include <unistd.h>

#include <stdexcept>

#include "sylkcore/cluster/node_registry.hpp"

namespace sylk::cluster {
namespace {

// Host names may hold dots, which node ids (bucket keys, bus subjects) may not.
std::string defaultNodeId() {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0')
        return "sylk";
    std::string id;
    for (const char* c = host; *c && id.size() < 64; ++c) {
        bool allowed = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' ||
                       *c == '-';
        id += allowed ? *c : '-';
    }
    return id;
}

}  // namespace

ClusterSettings ClusterSettings::read(const janus::PluginConfig& config) {
    ClusterSettings settings;
    settings.nats = config.getString("nats", "");
    settings.node = config.getString("node", defaultNodeId());
    if (!NodeRegistry::validNodeId(settings.node))
        throw std::invalid_argument("node: 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'");
    // At least 300 ms: renewals every lease/3 must fit NATS round trips with room to spare.
    settings.lease = std::chrono::milliseconds(config.getInt("lease_ms", kDefaultLeaseMs, 300, 3'600'000));
    settings.rosterRefresh = std::chrono::milliseconds(config.getInt("roster_refresh_ms", 30'000, 0, 86'400'000));
    settings.wsUrl = config.getString("ws_url", "");
    settings.sipUri = config.getString("sip_uri", "");
    settings.httpUrl = config.getString("http_url", "");
    settings.chatHistory = config.getInt("chat_history", kDefaultChatHistory, 0, 10'000);
    return settings;
}

}  // namespace sylk::cluster
