// One room bridged to one IRC channel: the hub room's name and what its bot connects to.
#pragma once

#include <string>
#include <vector>

#include "sylkcore/irc/client_settings.hpp"

namespace sylk::irc {

struct BridgeSettings {
    std::string room;       // the hub room (a video room's, a mixer's, a SIP focus room's name)
    ClientSettings client;  // server, port, TLS, channel, bot nick, flood control, backoff
};

struct IrcSettings {
    std::vector<BridgeSettings> bridges;
};

}  // namespace sylk::irc
