// Where and as what a ComponentLink connects, and how it waits between attempts.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace sylk::xmpp {

struct LinkSettings {
    std::string host = "127.0.0.1";
    int port = 5347;
    std::string domain;   // the component's JID
    std::string secret;   // never logged
    std::chrono::milliseconds backoffMin{1000};
    std::chrono::milliseconds backoffMax{30000};
    // The server refused the handshake with <conflict/>: another connection holds the domain
    // (another cluster node). The link stands by, trying again this often without backing off,
    // so that it takes the domain over soon after the holder goes.
    std::chrono::milliseconds standbyRetry{2000};
    std::chrono::milliseconds handshakeTimeout{10000};
    size_t maxBacklog = 8 * 1024 * 1024;  // bytes waiting for a server that does not read
    std::chrono::milliseconds stall{30000};  // how long they may wait with nothing read
    size_t maxStanza = 1024 * 1024;  // bytes of one incoming stanza (ComponentStream)
};

}  // namespace sylk::xmpp
