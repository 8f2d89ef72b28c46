// Fuzz target: the kernel's TCP table text (/proc/net/tcp, tcp6) as the SIP plugin's
// per-source connection bound reads it (plugins/sip/proc_net_table.hpp), both address families.
#include <cstddef>
#include <cstdint>
#include <string>

#include "plugins/sip/proc_net_table.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using sylk::sip::ProcNetTable;
    std::string text(reinterpret_cast<const char*>(data), size);
    for (bool ipv6 : {false, true}) {
        for (const auto& socket : ProcNetTable::established(text, ipv6)) {
            if (socket.source.empty() || socket.inode == 0)
                __builtin_trap();  // an established socket always names its peer and inode
        }
    }
    return 0;
}
