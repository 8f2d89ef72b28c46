// message/cpim (RFC 3862): the envelope SIP MESSAGEs and MSRP SENDs use to carry a sender, a
// recipient, a time and IMDN requests (RFC 5438) around the text. Parsing is bounded and strict;
// pure functions, fuzzed. Shared by the SIP plugin and the MSRP switch, so both read one way.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../api.hpp"

namespace sylk::cpim {

struct CpimMessage {
    std::string from;         // "Display <uri>" as it appears in the From header
    std::string to;           // the last To header (SIP MESSAGEs carry one)
    std::vector<std::string> recipients;  // every To header, in order (an MSRP chat room's private
                                          // message is one that names exactly one recipient)
    std::string dateTime;     // RFC 3339
    std::string contentType = "text/plain";
    std::string contentDisposition;  // e.g. "notification" for IMDN
    std::string body;
    // Every other CPIM header in order, e.g. {"NS", "imdn <urn:ietf:params:imdn>"},
    // {"imdn.Message-ID", "..."}, {"imdn.Disposition-Notification", "positive-delivery"}.
    std::vector<std::pair<std::string, std::string>> headers;

    // The value of a CPIM header (case-insensitive name), or "".
    SYLK_API std::string header(const std::string& name) const;
};

// The CPIM document of message (headers, blank line, Content-Type, blank line, body).
SYLK_API std::string buildCpim(const CpimMessage& message);

// nullopt (and the reason) for anything that is not a CPIM message of at most maxBytes (64 KiB
// for SIP MESSAGE; the MSRP switch passes its message limit, images included): missing
// blank lines, header lines without ':', control characters in headers.
SYLK_API std::optional<CpimMessage> parseCpim(const std::string& text, std::string* reason = nullptr,
                                              size_t maxBytes = 64 * 1024);

// The URI of a CPIM address header value: "Alice <sip:alice@example.com>" and
// "<sip:alice@example.com>" give "sip:alice@example.com"; a bare URI is returned trimmed; an
// unclosed '<' gives "".
SYLK_API std::string addressUri(const std::string& value);

// An address header value for a display name and a URI: "\"Alice\" <sip:alice@example.com>"
// (the name without quotes, backslashes and control characters), or "<uri>" without a name.
SYLK_API std::string address(const std::string& display, const std::string& uri);

// "now" in RFC 3339 UTC, e.g. "2026-11-27T07:40:00Z".
SYLK_API std::string cpimNow();

}  // namespace sylk::cpim
