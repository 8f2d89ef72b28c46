// Fuzz target: a datagram of the kernel's inet_diag dump as the SIP plugin's per-source connection
// bound reads it (plugins/sip/sock_diag_query.hpp).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "plugins/sip/sock_diag_query.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using sylk::sip::SockDiagQuery;
    std::vector<sylk::sip::ProcNetTable::Socket> sockets;
    SockDiagQuery::read(data, size, sockets);
    for (const auto& socket : sockets) {
        if (socket.source.empty() || socket.inode == 0)
            __builtin_trap();  // an established socket always names its peer and inode
    }
    return 0;
}
