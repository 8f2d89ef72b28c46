// An XMPP address (RFC 7622): [local@]domain[/resource], as the server hands it to a component.
// The server has already prepared the addresses it routes to us; this reader only refuses what
// no prepared address looks like (so a malformed `from` or `to` gets a stanza error, never an
// exception or a crash further in), and lower-cases the domain (domains compare without case).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sylk::xmpp {

struct Jid {
    std::string local;
    std::string domain;
    std::string resource;

    // Empty parts stay out: "domain", "local@domain", "local@domain/resource".
    std::string bare() const;
    std::string full() const;
    bool operator==(const Jid& other) const = default;

    // nullopt: no domain, an empty local part or resource where '@' or '/' promised one, a part
    // over 1023 bytes, a local part with a character RFC 7622 forbids there (" & ' / : < > @),
    // control characters or bytes that are not UTF-8.
    static std::optional<Jid> parse(std::string_view text);
};

// True if text is valid UTF-8 without control characters (what every JID part and nickname is).
bool printableUtf8(std::string_view text);

}  // namespace sylk::xmpp
