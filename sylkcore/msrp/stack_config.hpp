// The settings of an MSRP Stack: where it listens, what it writes in its URIs, and its limits.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "parser.hpp"
#include "sylkcore/net/tls_options.hpp"

namespace sylk::msrp {

struct StackConfig {
    // The address the listeners bind (an IP literal) and the host our URIs name (default: the
    // listening address; a public name or address when it differs).
    std::string listenAddress = "127.0.0.1";
    std::string advertisedHost;
    // Plain msrp and msrps listeners; port 0 picks a free port (Stack::port() after start()).
    bool tcp = true;
    uint16_t tcpPort = 0;
    bool tls = false;
    uint16_t tlsPort = 0;
    // The TLS listener's certificate and key (certificateFile, keyFile).
    net::TlsOptions tlsOptions;

    Parser::Limits limits;
    size_t chunkSize = 2048;                      // outgoing SEND chunk bodies
    uint64_t maxMessageSize = 10 * 1024 * 1024;   // incoming, when a session does not say
    size_t sendQueueBytes = 1024 * 1024;          // a session's held outgoing bytes (sendable())
    size_t connectionHighWater = 256 * 1024;      // a connection's write queue before pausing senders
    // Bytes of chunks one session writes in one turn of the stack thread's loop; the rest is
    // posted to the loop, behind the other sessions' work. Plain TCP takes writes at once and a
    // fast reader keeps the socket writable, so without it one file sent to a fast peer held
    // the thread for tens of MB while every other session on it waited. One chunk at least.
    size_t writeBytesPerTurn = 256 * 1024;
    std::chrono::milliseconds transactionTimeout{30000};
    // A Passive session waits this long for its peer; an idle connection (no session) lives so long.
    std::chrono::milliseconds bindTimeout{30000};
    // TCP keepalive on every MSRP socket (MSRP itself has no keep-alive request).
    bool keepalive = true;
};

}  // namespace sylk::msrp
