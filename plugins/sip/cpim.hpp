// message/cpim (RFC 3862): the envelope SIP MESSAGEs use to carry a sender, a time and IMDN
// requests (RFC 5438) around the text. Parsing is bounded and strict; pure functions, fuzzed.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sylk::sip {

struct CpimMessage {
    std::string from;         // "Display <uri>" as it appears in the From header
    std::string to;
    std::string dateTime;     // RFC 3339
    std::string contentType = "text/plain";
    std::string contentDisposition;  // e.g. "notification" for IMDN
    std::string body;
    // Every other CPIM header in order, e.g. {"NS", "imdn <urn:ietf:params:imdn>"},
    // {"imdn.Message-ID", "..."}, {"imdn.Disposition-Notification", "positive-delivery"}.
    std::vector<std::pair<std::string, std::string>> headers;

    // The value of a CPIM header (case-insensitive name), or "".
    std::string header(const std::string& name) const;
};

// The CPIM document of message (headers, blank line, Content-Type, blank line, body).
std::string buildCpim(const CpimMessage& message);

// nullopt (and the reason) for anything that is not a CPIM message of at most 64 KiB: missing
// blank lines, header lines without ':', control characters in headers.
std::optional<CpimMessage> parseCpim(const std::string& text, std::string* reason = nullptr);

// "now" in RFC 3339 UTC, e.g. "2026-11-27T07:40:00Z".
std::string cpimNow();

}  // namespace sylk::sip
