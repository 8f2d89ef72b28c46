// Fuzz target for the SIP<->XMPP address and error mapping (plugins/xmpp/stox_address,
// stox_errors): any SIP URI that parses writes back (sipUri) as one that parses to the same
// address, and maps to a JID local part without the characters RFC 7622 forbids that maps back
// to it; any local part that names a SIP user maps back to a local part naming the same user;
// an XMPP user made from a SIP address is a valid JID.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "plugins/xmpp/stox_address.hpp"
#include "plugins/xmpp/stox_errors.hpp"

using namespace sylk::xmpp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    if (auto address = parseSipAddress(input)) {
        auto again = parseSipAddress(sipUri(*address));
        if (!again || !(*again == *address))
            __builtin_trap();
        std::string local = jidLocalOfSip(*address);
        if (!local.empty()) {
            if (local.find_first_of(" \"&'/:<>@") != std::string::npos)
                __builtin_trap();
            auto back = sipOfJidLocal(local);
            if (!back || !(*back == *address))
                __builtin_trap();
        }
        if (auto user = xmppUserOfSip(*address)) {
            auto jid = Jid::parse(user->bare());
            if (!jid || !(*jid == *user))
                __builtin_trap();
        }
    }
    if (auto address = sipOfJidLocal(input)) {
        std::string local = jidLocalOfSip(*address);
        if (!local.empty() && !(sipOfJidLocal(local) == address))
            __builtin_trap();
    }
    if (auto jid = Jid::parse(input)) {
        if (auto sip = sipOfXmppUser(*jid); sip && !parseSipAddress(sipUri(*sip)))
            __builtin_trap();
    }
    (void)sipStatusOfCondition(input);
    if (size >= 2) {
        StanzaErrorKind kind = conditionOfSipStatus(300 + (data[0] * 256 + data[1]) % 400);
        if (!kind.type || !kind.condition)
            __builtin_trap();
    }
    return 0;
}
