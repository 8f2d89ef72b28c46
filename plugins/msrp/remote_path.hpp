// The peer's MSRP path of an open_session or set_remote request, parsed once for every kind of
// session (conference chat, direct chat, file transfer).
#pragma once

#include <string>
#include <vector>

#include "sylkcore/msrp/uri.hpp"

namespace sylk::msrp_plugin {

// Each hop as an msrp::Uri; a hop that does not parse is RequestError MsrpBadPath.
std::vector<msrp::Uri> parseRemotePath(const std::vector<std::string>& hops);

}  // namespace sylk::msrp_plugin
