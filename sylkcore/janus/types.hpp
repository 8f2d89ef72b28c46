// Sylk's names for the Janus types that cross the plugin boundary. They are the Janus structs
// themselves (no copy, no wrapper): plugin code spells these, and only sylkcore/janus spells
// janus_*, so the next plugin learns one vocabulary and the Janus headers stay behind one door.
#pragma once

#include "janus_headers.hpp"

namespace sylk::janus {

using Handle = janus_plugin_session;   // one attached handle (its PeerConnection and signalling)
using RtpPacket = janus_plugin_rtp;    // an RTP packet Janus hands us or we relay (buffer, length, mindex, video, extensions)
using RtcpPacket = janus_plugin_rtcp;
using DataPacket = janus_plugin_data;  // a data-channel message
using RtpHeader = janus_rtp_header;    // the fixed RTP header, fields in network order

}  // namespace sylk::janus
