// Fuzz target for the xmpp plugin's string readers (plugins/xmpp): JIDs (what parses writes
// back as a JID that parses to the same), room names from JID local parts and back
// (XEP-0106), nicknames, and the occupants' unique nicknames made from any display.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "plugins/xmpp/jid.hpp"
#include "plugins/xmpp/muc_naming.hpp"
#include "plugins/xmpp/occupant_nicks.hpp"

using namespace sylk::xmpp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    if (auto jid = Jid::parse(input)) {
        auto again = Jid::parse(jid->full());
        if (!again || !(*again == *jid))
            __builtin_trap();
    }
    if (auto room = roomFromLocal(input)) {
        std::string local = localFromRoom(*room);
        // a room a local part named can be written back, and reads as the same room
        if (!local.empty() && roomFromLocal(local) != room)
            __builtin_trap();
    }
    std::string local = localFromRoom(input);
    if (!local.empty() && local.find_first_of(" \"&'/:<>@") != std::string::npos)
        __builtin_trap();
    (void)nickInvalidReason(input);
    // Several members with the same display: every nickname differs and can be joined with.
    OccupantNicks nicks;
    std::string display(input);
    for (int i = 0; i < 4; ++i)
        nicks.assign("member/" + std::to_string(i), display);
    if (nicks.size() != 4)
        __builtin_trap();
    for (const auto& [member, nick] : nicks.byMember()) {
        if (nicks.memberOf(nick) != member || !nickInvalidReason(nick).empty())
            __builtin_trap();
    }
    return 0;
}
