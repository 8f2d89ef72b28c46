// Error mapping between SIP and XMPP (RFC 7247 §8): the SIP status a stanza error's defined
// condition becomes when an XMPP user could not be reached from SIP, and the stanza error a
// SIP final status becomes when a SIP user could not be reached from XMPP. Pure.
#pragma once

#include <string>
#include <string_view>

namespace sylk::xmpp {

struct StanzaErrorKind {
    const char* type;       // cancel, modify, auth, wait
    const char* condition;  // an RFC 6120 §8.3.3 defined condition
};

// The SIP status for an XMPP stanza error condition (unknown conditions: 500).
int sipStatusOfCondition(std::string_view condition);
// The stanza error for a SIP final status >= 300.
StanzaErrorKind conditionOfSipStatus(int status);

}  // namespace sylk::xmpp
