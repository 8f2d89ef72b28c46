// The Jingle namespaces (XEP-0166 and its RTP/ICE-UDP/DTLS companions), spelled once.
#pragma once

namespace sylk::xmpp::jingle_ns {

inline constexpr char kJingle[] = "urn:xmpp:jingle:1";                          // XEP-0166
inline constexpr char kErrors[] = "urn:xmpp:jingle:errors:1";
inline constexpr char kRtp[] = "urn:xmpp:jingle:apps:rtp:1";                    // XEP-0167
inline constexpr char kRtpAudio[] = "urn:xmpp:jingle:apps:rtp:audio";
inline constexpr char kIceUdp[] = "urn:xmpp:jingle:transports:ice-udp:1";       // XEP-0176
inline constexpr char kDtls[] = "urn:xmpp:jingle:apps:dtls:0";                  // XEP-0320
inline constexpr char kRtcpFb[] = "urn:xmpp:jingle:apps:rtp:rtcp-fb:0";         // XEP-0293
inline constexpr char kRtpHdrext[] = "urn:xmpp:jingle:apps:rtp:rtp-hdrext:0";   // XEP-0294
inline constexpr char kSsma[] = "urn:xmpp:jingle:apps:rtp:ssma:0";              // XEP-0339
inline constexpr char kGrouping[] = "urn:xmpp:jingle:apps:grouping:0";          // XEP-0338

}  // namespace sylk::xmpp::jingle_ns
