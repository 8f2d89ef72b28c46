// The value of a node's entry in bucket sylk_nodes: who it is and where clients reach it
// ({"node", "ws_url", "sip_uri", "http_url", "media_ip", "started"}). Written by other nodes: decoding
// checks every field and refuses anything else (nullopt).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "../api.hpp"
#include "../json.hpp"

namespace sylk::cluster {

struct SYLK_API NodeRecord {
    static constexpr size_t kMaxField = 1024;

    std::string node;
    std::string wsUrl;    // where web clients open the Janus API (may be empty)
    std::string sipUri;   // where phones and the SIP front reach this node (may be empty)
    std::string httpUrl;  // the web app on this node (may be empty)
    int64_t started = 0;  // ms since the epoch
    std::string mediaIp;  // where other nodes send it media (empty from nodes older than it)

    Json toJson() const;
    std::string encode() const { return toJson().dump(); }
    static std::optional<NodeRecord> decode(std::string_view value);
};

}  // namespace sylk::cluster
