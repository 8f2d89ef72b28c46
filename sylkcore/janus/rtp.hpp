// Janus's RTP and RTCP readers, for the media path: inline forwards, no copies.
#pragma once

#include "types.hpp"

namespace sylk::janus {

// The payload of an RTP packet after its header, CSRCs and extensions; nullptr if malformed.
inline char* rtpPayload(char* buffer, int length, int* payloadLength) {
    return janus_rtp_payload(buffer, length, payloadLength);
}

// RTCP compound packets: the REMB estimate in bits per second (0: none), and keyframe requests.
inline uint32_t rtcpRemb(char* buffer, int length) { return janus_rtcp_get_remb(buffer, length); }
inline bool rtcpHasPli(char* buffer, int length) { return janus_rtcp_has_pli(buffer, length); }
inline bool rtcpHasFir(char* buffer, int length) { return janus_rtcp_has_fir(buffer, length); }

}  // namespace sylk::janus
