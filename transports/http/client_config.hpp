// What the web pages need to reach janus, served at /config.json: the Janus API's WebSocket
// ports (a page picks ws or wss to match its own http or https) and the ICE servers. The ICE
// servers come from janus.jcfg's `nat` section, which janus core reads too, so STUN and TURN
// are configured in one place for janus and for the browsers.
#pragma once

#include <string>

namespace sylk::http {

// janus.jcfg nat: stun_server/stun_port, turn_server/turn_port/turn_type/turn_user/turn_pwd.
struct NatSettings {
    std::string stunServer;
    int stunPort = 3478;
    std::string turnServer;
    int turnPort = 3478;
    std::string turnType = "udp";  // udp, tcp or tls, as janus.jcfg spells it
    std::string turnUser;
    std::string turnPassword;
};

// janus.transport.websockets.jcfg general: ws/ws_port, wss/wss_port. 0: that listener is off.
struct ApiPorts {
    int ws = 0;
    int wss = 0;
};

class ClientConfig {
public:
    // Throws std::invalid_argument for a turn_type other than udp, tcp or tls.
    ClientConfig(const ApiPorts& ports, const NatSettings& nat);

    // {"janus": {"ws_port": N|null, "wss_port": N|null}, "iceServers": [RTCIceServer...]}
    const std::string& json() const { return json_; }

private:
    std::string json_;
};

}  // namespace sylk::http
