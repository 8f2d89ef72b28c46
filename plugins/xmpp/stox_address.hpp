// How SIP and XMPP addresses map onto each other at the SIP users' component (RFC 7247 §3.2,
// §3.3), in both directions:
//
// - A SIP user seen from XMPP: sip:bob@example.org:5070 becomes the JID
//   bob\40example.org\3a5070@sip.<domain>: the whole user@hostport, XEP-0106 escaped, is the
//   local part of a JID in our component domain (its '@' and ':' cannot stand in a local part).
//   The SIP user part is percent-decoded first; URI parameters and headers are dropped.
//   Replies to that JID go to exactly that SIP address.
// - An XMPP user seen from SIP: alice@localhost is sip:alice@localhost (the local part
//   percent-encoded where SIP's user part needs it). A SIP request to sip:alice@localhost (a
//   host the SIP plugin was told is an XMPP domain) goes to alice@localhost.
// Pure functions, fuzzed (tests/fuzz/fuzz_stox_address.cpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "jid.hpp"

namespace sylk::xmpp {

struct SipAddress {
    std::string user;      // percent-decoded, never empty
    std::string hostPort;  // host (lower case) and an optional :port; IPv6 literals in brackets
    bool operator==(const SipAddress& other) const = default;
};

// The user@host[:port] of a sip: or sips: URI (with or without <> and a display name before
// it), or nullopt: no user, a user with control characters or not UTF-8 or over 256 bytes
// decoded, a bad %-escape, a host that is not a hostname, IPv4 or [IPv6], a port that is not
// 1-65535.
std::optional<SipAddress> parseSipAddress(std::string_view uri);
// "sip:user@hostport", the user percent-encoded where RFC 3261's user part needs it.
std::string sipUri(const SipAddress& address);

// The JID local part that stands for a SIP user in the component domain; "" when it would be
// longer than a local part may be (1023 bytes).
std::string jidLocalOfSip(const SipAddress& address);
// The SIP user a local part of the component domain stands for, or nullopt.
std::optional<SipAddress> sipOfJidLocal(std::string_view local);

// The SIP address of an XMPP user (its bare JID); nullopt for a JID without a local part.
std::optional<SipAddress> sipOfXmppUser(const Jid& jid);
// The XMPP user a SIP address names (user@host, the port dropped), or nullopt when the user
// cannot be a JID local part (RFC 7622 forbids " & ' / : < > @ and spaces there).
std::optional<Jid> xmppUserOfSip(const SipAddress& address);

}  // namespace sylk::xmpp
