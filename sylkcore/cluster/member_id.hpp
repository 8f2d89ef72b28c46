// The ids the cluster's hub bridge gives other nodes' members in this node's hub rooms:
// "janus.plugin.sylk.cluster/<node>/<their id>" (hub_bridge.hpp). One reader of that form for
// the plugins that ask on which node a member is (the audio mixer's legs, the video room's
// relays and audio bridge).
#pragma once

#include <string>
#include <string_view>

namespace sylk::cluster {

inline constexpr std::string_view kMemberPrefix = "janus.plugin.sylk.cluster/";

// "B" for "janus.plugin.sylk.cluster/B/<package>/<rest>", another node's member of that plugin;
// "" for any other id.
inline std::string nodeOfMember(std::string_view memberId, std::string_view package) {
    if (memberId.substr(0, kMemberPrefix.size()) != kMemberPrefix)
        return {};
    size_t slash = memberId.find('/', kMemberPrefix.size());
    if (slash == std::string_view::npos || slash == kMemberPrefix.size())
        return {};
    std::string_view rest = memberId.substr(slash + 1);
    if (rest.size() <= package.size() || rest.substr(0, package.size()) != package || rest[package.size()] != '/')
        return {};
    return std::string(memberId.substr(kMemberPrefix.size(), slash - kMemberPrefix.size()));
}

}  // namespace sylk::cluster
