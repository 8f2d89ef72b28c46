// An MSRP URI (RFC 4975 §6, RFC 4976 relays): msrp[s]://[user@]host[:port][/session-id];transport[;params].
// Comparison follows RFC 4975 §6.1: scheme, host and transport case-insensitive, the port
// exact (an explicit port never equals an absent one), the session id case-sensitive, userinfo
// ignored.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sylkcore/api.hpp"

namespace sylk::msrp {

// The port an MSRP URI without one means (RFC 4975 §6; relays, RFC 4976).
constexpr uint16_t kDefaultPort = 2855;

struct SYLK_API Uri {
    bool secure = false;    // msrps
    std::string user;       // userinfo before '@' (percent-encoded as written), "" when absent
    std::string host;       // a name, an IPv4 literal or an IPv6 literal without brackets
    uint16_t port = 0;      // 0: absent (kDefaultPort when connecting)
    std::string sessionId;  // "" when absent (a relay's URI)
    std::string transport = "tcp";
    std::string parameters;  // what follows ";transport", with its leading ';' ("" when none)

    // Throws ParseError for anything else than an msrp/msrps URI.
    static Uri parse(std::string_view text);
    // A space-separated list of URIs (To-Path, From-Path, SDP a=path); throws ParseError, also
    // for an empty list.
    static std::vector<Uri> parsePath(std::string_view text);
    static std::string pathString(const std::vector<Uri>& path);

    std::string str() const;
    // host:port as connected to (the default port when absent; IPv6 in brackets).
    std::string hostPort() const;
    uint16_t portOrDefault() const { return port ? port : kDefaultPort; }

    bool operator==(const Uri& other) const;
    bool operator!=(const Uri& other) const { return !(*this == other); }
};

}  // namespace sylk::msrp
