#include "cluster_settings.hpp"

#include <arpa/inet.h>
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

bool isIpLiteral(const std::string& text) {
    unsigned char address[sizeof(in6_addr)];
    return inet_pton(AF_INET, text.c_str(), address) == 1 || inet_pton(AF_INET6, text.c_str(), address) == 1;
}

// The host of sip:host[:port][;...] or ws://host[:port]/..., when it is an IP literal
// ([v6] unbracketed): the address this node already gives the others for signalling.
std::string hostOf(const std::string& uri) {
    size_t start = uri.find("://");
    start = start == std::string::npos ? uri.find(':') + 1 : start + 3;
    if (start == 0 || start >= uri.size())
        return "";
    if (size_t at = uri.find('@', start); at != std::string::npos && at < uri.find_first_of("/;?", start))
        start = at + 1;
    if (uri[start] == '[') {
        size_t end = uri.find(']', start);
        return end == std::string::npos ? "" : uri.substr(start + 1, end - start - 1);
    }
    size_t end = uri.find_first_of(":/;?", start);
    return uri.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string defaultMediaIp(const ClusterSettings& settings) {
    for (const std::string& uri : {settings.sipUri, settings.wsUrl, settings.httpUrl}) {
        std::string host = hostOf(uri);
        if (!host.empty() && isIpLiteral(host))
            return host;
    }
    return "127.0.0.1";
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
    settings.mediaIp = config.getString("media_ip", "");
    if (settings.mediaIp.empty())
        settings.mediaIp = defaultMediaIp(settings);
    else if (!isIpLiteral(settings.mediaIp))
        throw std::invalid_argument("media_ip: an IPv4 or IPv6 address");
    settings.chatHistory = config.getInt("chat_history", kDefaultChatHistory, 0, 10'000);
    return settings;
}

}  // namespace sylk::cluster
