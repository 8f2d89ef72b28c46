// Shared by the translation units of janus.plugin.sylk.videoroom.
#pragma once

#include <cstdint>
#include <string>

#include "sylkcore/room_id.hpp"

namespace sylk::videoroom {

inline constexpr const char* kPackage = "janus.plugin.sylk.videoroom";

}  // namespace sylk::videoroom
