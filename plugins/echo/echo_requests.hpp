// The echo application's request bodies, parsed and validated. Pure functions over JSON so the
// fuzz target exercises exactly what the plugin runs.
#pragma once

#include <cstdint>
#include <optional>

#include "sylkcore/request_reader.hpp"

namespace sylk::echo {

// {"request": "configure", "audio": bool, "video": bool, "data": bool, "bitrate": int,
//  "keyframe": bool} -- every field optional; with a jsep offer it also negotiates media.
struct ConfigureRequest {
    std::optional<bool> audio;
    std::optional<bool> video;
    std::optional<bool> data;
    std::optional<uint32_t> bitrate;  // bits per second; 0 removes the cap
    bool keyframe = false;            // ask the browser for a keyframe now
};

ConfigureRequest parseConfigure(RequestReader& reader);

// {"request": "ping"} and {"request": "status"} carry no fields.
void parseEmpty(RequestReader& reader);

}  // namespace sylk::echo
