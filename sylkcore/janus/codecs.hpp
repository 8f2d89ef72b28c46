// Codec names as Janus knows them (what its SDP utilities and recorder accept).
#pragma once

#include "types.hpp"

namespace sylk::janus {

using VideoCodec = janus_videocodec;
namespace video_codec {
inline constexpr VideoCodec None = JANUS_VIDEOCODEC_NONE;
inline constexpr VideoCodec Vp8 = JANUS_VIDEOCODEC_VP8;
inline constexpr VideoCodec Vp9 = JANUS_VIDEOCODEC_VP9;
inline constexpr VideoCodec H264 = JANUS_VIDEOCODEC_H264;
inline constexpr VideoCodec Av1 = JANUS_VIDEOCODEC_AV1;
inline constexpr VideoCodec H265 = JANUS_VIDEOCODEC_H265;
}  // namespace video_codec

// video_codec::None for a name Janus does not know ("vp8", "h264", ...).
inline VideoCodec videoCodecFromName(const char* name) { return janus_videocodec_from_name(name); }
inline bool knownVideoCodec(const char* name) { return videoCodecFromName(name) != video_codec::None; }
inline bool knownAudioCodec(const char* name) { return janus_audiocodec_from_name(name) != JANUS_AUDIOCODEC_NONE; }

}  // namespace sylk::janus
