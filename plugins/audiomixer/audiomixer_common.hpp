// Shared by the translation units of janus.plugin.sylk.audiomixer.
#pragma once

#include <glib.h>

#include <cstdint>

#include "sylkcore/request_error.hpp"
#include "sylkcore/room_id.hpp"

namespace sylk::audiomixer {

inline constexpr const char* kPackage = "janus.plugin.sylk.audiomixer";
inline constexpr int64_t kMaxId = (int64_t(1) << 53) - 1;  // ids stay exact in JavaScript

inline int checkRate(int64_t rate) {
    if (rate != 8000 && rate != 16000 && rate != 24000 && rate != 48000)
        throw RequestError(ErrorCode::InvalidField, "sampling_rate must be 8000, 16000, 24000 or 48000");
    return static_cast<int>(rate);
}

}  // namespace sylk::audiomixer
