// A room name as a NATS key-value key. Keys allow only [-/_=.a-zA-Z0-9], and room names are
// anything a client chose ("team.sales@example.com", "Café 3"): every byte outside
// [A-Za-z0-9_-] is written =XX (upper-case hex; '=' itself too), so the mapping is one-to-one
// and the same token is a valid subject token for the bus (docs/cluster.md). The bus helper
// owns the shared codec (room_subject.*); this copy is the lease side's until they merge.
#pragma once

#include <string>

#include "../api.hpp"

namespace sylk::cluster {

SYLK_API std::string roomKey(const std::string& roomName);

}  // namespace sylk::cluster
