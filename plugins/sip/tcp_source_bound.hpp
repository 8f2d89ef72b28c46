// A bound on the TCP and TLS connections one source address keeps open to our SIP listeners
// (issue 17): Sofia's transports accept any number from one address, and an idle one lives until
// tcp_idle_timeout, so a single host could hold hundreds of descriptors for minutes. Sofia offers
// no hook at accept and no public way to walk its connections (tport_secondary() gives the root of
// a private tree), so this works beside it, on the sockets themselves: sweep() reads the
// process's established TCP sockets whose local port is one of ours (/proc/self/net/tcp and
// tcp6), and for a source address with more than `perSource` of them, shuts down the ones idle
// longest (TCP_INFO's time since data last arrived) until `perSource` remain. A connection that
// received data within `minimumIdle` is never closed. shutdown() only: Sofia reads end of stream
// and closes and frees the transport itself, as when the peer hangs up. Call sweep() on the SIP
// thread (Sofia closes its sockets there, so a descriptor cannot be reused under us).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "proc_net_table.hpp"

namespace sylk::sip {

class TcpSourceBound {
public:
    // ports: our SIP TCP and TLS listening ports (0s are ignored); perSource 0: no bound.
    TcpSourceBound(std::vector<uint16_t> ports, size_t perSource,
                   std::chrono::milliseconds minimumIdle = std::chrono::milliseconds(1000));

    // Closes what is over the bound; returns how many connections it shut down.
    size_t sweep();

private:
    bool ours(uint16_t localPort) const;

    std::vector<uint16_t> ports_;
    size_t perSource_;
    std::chrono::milliseconds minimumIdle_;
};

}  // namespace sylk::sip
