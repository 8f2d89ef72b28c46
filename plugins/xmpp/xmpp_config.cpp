#include "xmpp_config.hpp"

#include <stdexcept>

#include "jid.hpp"
#include "sylkcore/janus/plugin_config.hpp"

namespace sylk::xmpp {
namespace {

std::string domainOption(const janus::PluginConfig& config, const char* name, const std::string& fallback) {
    std::string value = config.getString(name, fallback);
    auto jid = Jid::parse(value);
    if (!jid || !jid->local.empty() || !jid->resource.empty())
        throw std::invalid_argument(std::string(name) + " must be a domain name, not '" + value + "'");
    return jid->domain;
}

// "alice@example.com, bob@example.com": bare JIDs, as Jid::parse prepares them.
std::set<std::string> moderatorList(const std::string& text) {
    std::set<std::string> list;
    size_t start = 0;
    while (start <= text.size()) {
        size_t comma = text.find(',', start);
        std::string entry = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        entry.erase(0, entry.find_first_not_of(" \t"));
        entry.erase(entry.find_last_not_of(" \t") + 1);
        if (!entry.empty()) {
            auto jid = Jid::parse(entry);
            if (!jid || jid->local.empty() || !jid->resource.empty())
                throw std::invalid_argument("moderators must list bare JIDs (user@domain), not '" + entry + "'");
            list.insert(jid->bare());
        }
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return list;
}

}  // namespace

XmppSettings readSettings(const janus::PluginConfig& config) {
    XmppSettings settings;
    settings.serverHost = config.getString("server_host", settings.serverHost);
    settings.serverPort = static_cast<int>(config.getInt("server_port", settings.serverPort, 1, 65535));
    settings.domain = domainOption(config, "domain", settings.domain);
    settings.mucDomain = domainOption(config, "muc_domain", "conference." + settings.domain);
    settings.sipDomain = domainOption(config, "sip_domain", "sip." + settings.domain);
    if (settings.mucDomain == settings.sipDomain)
        throw std::invalid_argument("muc_domain and sip_domain must differ (each is its own component)");
    settings.secret = config.getString("component_secret", "");
    settings.history = static_cast<size_t>(config.getInt("history", 20, 0, 1000));
    settings.maxBodyBytes = static_cast<size_t>(config.getInt("max_body_bytes", 64 * 1024, 1, 16 * 1024 * 1024));
    settings.stoxBounceWait = std::chrono::milliseconds(config.getInt("stox_bounce_ms", 1000, 0, 30000));
    settings.stoxRingTimeout = std::chrono::milliseconds(config.getInt("stox_ring_timeout_ms", 45000, 1000, 300000));
    settings.backoffMin = std::chrono::milliseconds(config.getInt("reconnect_min_ms", 1000, 10, 600000));
    settings.backoffMax = std::chrono::milliseconds(config.getInt("reconnect_max_ms", 30000, 10, 3600000));
    settings.standbyRetry = std::chrono::milliseconds(config.getInt("standby_retry_ms", 2000, 100, 600000));
    settings.ghostNickWait = std::chrono::milliseconds(config.getInt("ghost_nick_wait_ms", 8000, 0, 120000));
    settings.linkBacklogBytes = static_cast<size_t>(config.getInt("link_backlog_kb", 8192, 64, 1024 * 1024)) * 1024;
    settings.linkStall = std::chrono::milliseconds(config.getInt("link_stall_ms", 30000, 100, 600000));
    settings.linkStanzaBytes = static_cast<size_t>(config.getInt("link_stanza_kb", 1024, 64, 65536)) * 1024;
    settings.moderators = moderatorList(config.getString("moderators", ""));
    std::string multicast = config.getString("multicast", "auto");
    if (multicast == "auto")
        settings.multicast = MulticastMode::Auto;
    else if (multicast == "on")
        settings.multicast = MulticastMode::On;
    else if (multicast == "off")
        settings.multicast = MulticastMode::Off;
    else
        throw std::invalid_argument("multicast is auto, on or off, not '" + multicast + "'");
    if (settings.backoffMax < settings.backoffMin)
        throw std::invalid_argument("reconnect_max_ms must not be below reconnect_min_ms");
    return settings;
}

}  // namespace sylk::xmpp
