// The established TCP sockets on given local ports, asked of the kernel through NETLINK_SOCK_DIAG
// (inet_diag) with a filter on those ports, so only our sockets come back. It replaces reading
// /proc/self/net/tcp{,6} for TcpSourceBound: that file lists every socket of the namespace as text
// and the kernel rewalks its established hash for each page read (57-70% of janus's CPU in the
// XMPP bench, docs/decisions.md). request() and read() are the pure halves, for the unit test and
// the fuzz target (read() parses what the kernel sends).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "proc_net_table.hpp"

namespace sylk::sip {

class SockDiagQuery {
public:
    // The sockets found (IPv4 and IPv6); false when the kernel would not answer (no inet_diag,
    // a refused socket): the caller then reads /proc instead.
    static bool established(const std::vector<uint16_t>& ports, std::vector<ProcNetTable::Socket>& sockets);

    // The whole netlink request (header, inet_diag_req_v2, bytecode filter) for one family.
    static std::vector<uint8_t> request(uint8_t family, const std::vector<uint16_t>& ports, uint32_t sequence);

    enum class Reply { More, Done, Failed };
    // One datagram of the dump's answer: its sockets appended; Done at NLMSG_DONE, Failed at an
    // error message or a malformed one.
    static Reply read(const uint8_t* data, size_t size, std::vector<ProcNetTable::Socket>& sockets);
};

}  // namespace sylk::sip
