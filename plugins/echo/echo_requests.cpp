#include "echo_requests.hpp"

namespace sylk::echo {

ConfigureRequest parseConfigure(RequestReader& reader) {
    ConfigureRequest request;
    request.audio = reader.optionalBool("audio");
    request.video = reader.optionalBool("video");
    request.data = reader.optionalBool("data");
    if (auto bitrate = reader.optionalInt("bitrate", 0, 100'000'000))
        request.bitrate = static_cast<uint32_t>(*bitrate);
    request.keyframe = reader.optionalBool("keyframe").value_or(false);
    reader.rejectUnknownFields();
    return request;
}

void parseEmpty(RequestReader& reader) { reader.rejectUnknownFields(); }

}  // namespace sylk::echo
