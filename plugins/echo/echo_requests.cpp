#include "echo_requests.hpp"

#include <algorithm>
#include <array>

#include "sylkcore/request_error.hpp"

namespace sylk::echo {
namespace {

// Codec names as the stock echotest takes them (Janus's codec names).
constexpr std::array<const char*, 9> kAudioCodecs{"opus", "multiopus", "pcmu", "pcma", "g722",
                                                  "isac16", "isac32", "l16-48", "l16"};
constexpr std::array<const char*, 5> kVideoCodecs{"vp8", "vp9", "h264", "av1", "h265"};

// The stock echotest's fields that this plugin does not implement: refused by name rather than
// silently ignored, so a client never believes it is recording or picking a simulcast layer.
constexpr std::array<const char*, 9> kStockOnly{"record", "filename", "substream", "temporal", "fallback",
                                                "videoprofile", "opusred", "min_delay", "max_delay"};

template <size_t N>
std::optional<std::string> codecField(RequestReader& reader, const char* key, const std::array<const char*, N>& known) {
    auto name = reader.optionalString(key, 16);
    if (!name)
        return std::nullopt;
    if (std::none_of(known.begin(), known.end(), [&](const char* codec) { return *name == codec; })) {
        std::string list;
        for (const char* codec : known)
            list += (list.empty() ? "" : ", ") + std::string(codec);
        throw RequestError(ErrorCode::InvalidField, std::string("field '") + key + "' must be one of " + list + ", not '" + *name + "'");
    }
    return name;
}

}  // namespace

ConfigureRequest parseConfigure(RequestReader& reader) {
    for (const char* field : kStockOnly) {
        if (reader.optionalRaw(field))
            throw RequestError(ErrorCode::EchoNotSupported,
                               std::string("field '") + field + "' of the stock echotest is not supported by this plugin");
    }
    ConfigureRequest request;
    request.audio = reader.optionalBool("audio");
    request.video = reader.optionalBool("video");
    request.data = reader.optionalBool("data");
    if (auto bitrate = reader.optionalInt("bitrate", 0, 100'000'000))
        request.bitrate = static_cast<uint32_t>(*bitrate);
    request.keyframe = reader.optionalBool("keyframe").value_or(false);
    request.audioCodec = codecField(reader, "audiocodec", kAudioCodecs);
    request.videoCodec = codecField(reader, "videocodec", kVideoCodecs);
    reader.rejectUnknownFields();
    return request;
}

void parseEmpty(RequestReader& reader) { reader.rejectUnknownFields(); }

}  // namespace sylk::echo
