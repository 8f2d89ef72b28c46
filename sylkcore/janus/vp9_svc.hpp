// VP9 SVC layer information from a packet's payload descriptor (Janus's parser).
#pragma once

#include "types.hpp"

namespace sylk::janus {

using Vp9SvcInfo = janus_vp9_svc_info;  // spatial_layer, temporal_layer and the P, U, B, E bits

// True when the payload descriptor carries layer information (an SVC stream), filled in info.
inline bool parseVp9Svc(char* payload, int length, Vp9SvcInfo& info) {
    gboolean found = FALSE;
    return janus_vp9_parse_svc(payload, length, &found, &info) == 0 && found;
}

}  // namespace sylk::janus
