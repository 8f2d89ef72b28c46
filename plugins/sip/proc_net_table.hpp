// The kernel's table of TCP sockets (/proc/net/tcp, /proc/net/tcp6) read as the established
// connections it lists: who is at the other end, on which local port, and the socket's inode (to
// find its descriptor in /proc/self/fd). Used by TcpSourceBound; fuzzed (tests/fuzz).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sylk::sip {

class ProcNetTable {
public:
    struct Socket {
        std::string source;   // the peer's address, without port ("10.0.0.1", "2001:db8::1")
        uint16_t localPort = 0;
        unsigned long inode = 0;
    };
    // The ESTABLISHED sockets of the table's text (its header line first); lines that do not
    // read as the kernel writes them are skipped. An IPv4 peer of an IPv6 socket (::ffff:a.b.c.d)
    // is named by its IPv4 address.
    static std::vector<Socket> established(const std::string& text, bool ipv6);
};

}  // namespace sylk::sip
