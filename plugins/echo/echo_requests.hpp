// The echo application's request bodies, parsed and validated. Pure functions over JSON so the
// fuzz target exercises exactly what the plugin runs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sylkcore/request_reader.hpp"

namespace sylk::echo {

// {"request": "configure", "audio": bool, "video": bool, "data": bool, "bitrate": int,
//  "keyframe": bool, "audiocodec": name, "videocodec": name} -- every field optional; with a
// jsep offer it also negotiates media. A body without "request" is a configure too: that is the
// stock janus.plugin.echotest API, which has no verbs, so its demo page works unchanged.
struct ConfigureRequest {
    std::optional<bool> audio;
    std::optional<bool> video;
    std::optional<bool> data;
    std::optional<uint32_t> bitrate;  // bits per second; 0 removes the cap
    bool keyframe = false;            // ask the browser for a keyframe now
    std::optional<std::string> audioCodec;  // negotiate this codec (stock "audiocodec"); offers only
    std::optional<std::string> videoCodec;
};

// Throws RequestError: InvalidField for a bad value or an unknown field, EchoNotSupported for a
// stock echotest field this plugin does not implement (recording, simulcast layers, ...).
ConfigureRequest parseConfigure(RequestReader& reader);

// {"request": "ping"} and {"request": "status"} carry no fields.
void parseEmpty(RequestReader& reader);

}  // namespace sylk::echo
