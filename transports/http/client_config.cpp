#include "client_config.hpp"

#include <stdexcept>

#include "sylkcore/json.hpp"

namespace sylk::http {
namespace {

Json portOrNull(int port) { return port > 0 ? Json::adopt(json_integer(port)) : Json::adopt(json_null()); }

// An IPv6 literal needs brackets inside a URI.
std::string hostPart(const std::string& host) {
    return host.find(':') != std::string::npos && host.front() != '[' ? "[" + host + "]" : host;
}

// RFC 7065 URIs: turn: over UDP or TCP, turns: over TLS (always TCP).
std::string turnUri(const NatSettings& nat) {
    std::string scheme = "turn:";
    std::string transport;
    if (nat.turnType == "udp") {
        transport = "udp";
    } else if (nat.turnType == "tcp") {
        transport = "tcp";
    } else if (nat.turnType == "tls") {
        scheme = "turns:";
        transport = "tcp";
    } else {
        throw std::invalid_argument("janus.jcfg nat.turn_type must be udp, tcp or tls, not '" + nat.turnType + "'");
    }
    return scheme + hostPart(nat.turnServer) + ":" + std::to_string(nat.turnPort) + "?transport=" + transport;
}

}  // namespace

ClientConfig::ClientConfig(const ApiPorts& ports, const NatSettings& nat) {
    Json iceServers = Json::array();
    if (!nat.stunServer.empty())
        iceServers.append(Json::object().set("urls", "stun:" + hostPart(nat.stunServer) + ":" + std::to_string(nat.stunPort)));
    if (!nat.turnServer.empty()) {
        Json turn = Json::object().set("urls", turnUri(nat));
        if (!nat.turnUser.empty())
            turn.set("username", nat.turnUser).set("credential", nat.turnPassword);
        iceServers.append(std::move(turn));
    }
    Json janus = Json::object().set("ws_port", portOrNull(ports.ws)).set("wss_port", portOrNull(ports.wss));
    json_ = Json::object().set("janus", std::move(janus)).set("iceServers", std::move(iceServers)).dump();
}

}  // namespace sylk::http
