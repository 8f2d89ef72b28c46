// Shared by the translation units of janus.plugin.sylk.videoroom.
#pragma once

#include <cstdint>
#include <string>

#include <glib.h>

namespace sylk::videoroom {

inline constexpr const char* kPackage = "janus.plugin.sylk.videoroom";

// A random participant or room number, below 2^53 so that JavaScript clients keep every digit.
inline uint64_t randomId() {
    return (static_cast<uint64_t>(g_random_int()) << 21 ^ g_random_int()) % ((uint64_t(1) << 53) - 1) + 1;
}

}  // namespace sylk::videoroom
