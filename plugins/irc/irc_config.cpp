#include "irc_config.hpp"

#include <set>
#include <stdexcept>

#include "sylkcore/irc/nicks.hpp"
#include "sylkcore/janus/plugin_config.hpp"

namespace sylk::irc {
namespace {

constexpr char kBridgePrefix[] = "bridge-";

BridgeSettings readBridge(const janus::PluginConfig& config, const std::string& category, const ClientSettings& shared) {
    const char* name = category.c_str();
    BridgeSettings bridge;
    bridge.room = config.getString(name, "room", category.substr(sizeof(kBridgePrefix) - 1));
    ClientSettings& client = bridge.client;
    client = shared;
    client.host = config.getString(name, "server", "");
    if (client.host.empty())
        throw std::invalid_argument(category + ": server is required");
    client.tls.enabled = config.getBool(name, "tls", false);
    client.port = static_cast<uint16_t>(config.getInt(name, "port", client.tls.enabled ? 6697 : 6667, 1, 65535));
    client.tls.caFile = config.getString(name, "tls_ca_file", "");
    client.tls.serverName = config.getString(name, "tls_server_name", "");
    client.tls.pinnedFingerprint = config.getString(name, "tls_fingerprint", "");
    client.password = config.getString(name, "password", "");
    client.channel = config.getString(name, "channel", "#" + bridge.room);
    if (!isValidChannel(client.channel))
        throw std::invalid_argument(category + ": channel '" + client.channel + "' is no IRC channel name (#name)");
    client.channelKey = config.getString(name, "channel_key", "");
    client.nick = config.getString(name, "nick", shared.nick);
    if (!isValidNick(client.nick))
        throw std::invalid_argument(category + ": nick '" + client.nick + "' is no IRC nick (RFC 2812)");
    client.realname = config.getString(name, "realname", shared.realname);
    return bridge;
}

}  // namespace

IrcSettings readSettings(const janus::PluginConfig& config) {
    ClientSettings shared;
    shared.nick = config.getString("nick", shared.nick);
    if (!isValidNick(shared.nick))
        throw std::invalid_argument("nick '" + shared.nick + "' is no IRC nick (RFC 2812)");
    shared.realname = config.getString("realname", shared.realname);
    shared.privateReply = config.getString("private_reply", shared.privateReply);
    shared.quitMessage = config.getString("quit_message", shared.quitMessage);
    shared.linesPerSecond = static_cast<double>(config.getInt("lines_per_10s", 10, 1, 1000)) / 10.0;
    shared.burst = static_cast<double>(config.getInt("burst", 4, 1, 100));
    shared.backoffMin = std::chrono::milliseconds(config.getInt("reconnect_min_ms", 1000, 10, 600000));
    shared.backoffMax = std::chrono::milliseconds(config.getInt("reconnect_max_ms", 30000, 10, 3600000));
    if (shared.backoffMax < shared.backoffMin)
        throw std::invalid_argument("reconnect_max_ms must not be below reconnect_min_ms");
    shared.maxQueued = static_cast<size_t>(config.getInt("max_queued_lines", 2000, 1, 1000000));
    shared.timeout = std::chrono::milliseconds(config.getInt("timeout_ms", 60000, 1000, 3600000));

    IrcSettings settings;
    std::set<std::string> rooms;
    for (const auto& category : config.categories(kBridgePrefix)) {
        BridgeSettings bridge = readBridge(config, category, shared);
        if (!rooms.insert(bridge.room).second)
            throw std::invalid_argument(category + ": room '" + bridge.room + "' is bridged twice");
        settings.bridges.push_back(std::move(bridge));
    }
    return settings;
}

}  // namespace sylk::irc
