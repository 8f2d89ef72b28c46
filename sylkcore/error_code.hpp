// The one table of error codes that Sylk plugins answer with. Each plugin owns a range, so a
// code alone tells which component refused a request:
//   1000-1099 sylkcore: request-level errors every plugin shares
//   1100-1199 echo          1200-1299 videoroom     1300-1399 audiomixer
//   1400-1499 sip           1500-1599 xmpp          1600-1699 msrp
//   1700-1799 irc           1800-1899 cluster
//   1900-1999 test-only plugins
// Plugins that promise API compatibility with a stock Janus plugin answer with the stock code
// where janus.js applications test for it (the videoroom's 426 "no such room", ...): those
// codes are listed here too, under their plugin, so the table stays the one place to look.
#pragma once

#include <string_view>

#include "api.hpp"

namespace sylk {

enum class ErrorCode : int {
    // sylkcore
    MalformedRequest = 1001,   // body is not a JSON object
    MissingField = 1002,
    InvalidField = 1003,       // wrong type or out of range
    UnknownRequest = 1004,
    PayloadTooLarge = 1005,
    InvalidJsep = 1006,
    InvalidSdp = 1007,
    NotFound = 1008,           // unknown room, participant or resource
    Unauthorized = 1009,       // wrong PIN, secret or token
    WrongState = 1010,         // request not valid in the session's current state
    InternalError = 1099,
    // echo
    EchoNoMediaNegotiated = 1101,
    EchoNotSupported = 1102,   // a stock echotest field this plugin does not implement
    // videoroom: the stock janus.plugin.videoroom codes, for janus.js compatibility
    VideoRoomUnknownError = 499,
    VideoRoomJoinFirst = 424,          // stock JANUS_VIDEOROOM_ERROR_JOIN_FIRST
    VideoRoomNoSuchRoom = 426,
    VideoRoomRoomExists = 427,
    VideoRoomNoSuchFeed = 428,
    VideoRoomPublishersFull = 432,
    VideoRoomUnauthorized = 433,
    VideoRoomAlreadyPublished = 434,
    VideoRoomNotPublished = 435,
    VideoRoomAlreadyJoined = 436,
    // videoroom: Sylk extensions
    VideoRoomMessageTooLong = 1201,
    VideoRoomNoSuchRecipient = 1202,
    // audiomixer: the stock janus.plugin.audiobridge codes, for janus.js compatibility
    AudioMixerNoSuchRoom = 485,
    AudioMixerRoomExists = 486,
    AudioMixerNotJoined = 487,
    AudioMixerUnauthorized = 489,
    AudioMixerIdExists = 490,
    AudioMixerAlreadyJoined = 491,
    AudioMixerNoSuchUser = 492,
    AudioMixerInvalidSdp = 493,
    // audiomixer: Sylk extensions
    AudioMixerRoomFull = 1301,
    AudioMixerUnsupportedCodec = 1302,
    AudioMixerRtpUnavailable = 1303,
    // sip: the stock janus.plugin.sip codes, for janus.js compatibility
    SipAlreadyRegistered = 445,
    SipInvalidAddress = 446,
    SipWrongState = 447,
    SipMissingSdp = 448,
    SipStackError = 449,   // stock JANUS_SIP_ERROR_LIBSOFIA_ERROR
    SipIoError = 450,
    SipPushUnavailable = 1410,  // push_register, push admin requests: no push service configured
    // msrp
    MsrpNoSuchSession = 1601,   // msrp.close_session of a session that is not (or no longer) open
    MsrpBadPath = 1602,         // a remote a=path that is not a list of MSRP URIs
    MsrpUnsupported = 1603,     // a session kind this plugin does not take (yet)
    MsrpUnavailable = 1604,     // the MSRP stack is not running (stopping, or its listener failed)
    // msrp: RFC 5547 file transfer sessions in rooms
    MsrpNoSuchFile = 1620,      // a pull (recvonly) naming a hash no file of the room has: SIP 404
    MsrpBadFileOffer = 1621,    // a file-selector that breaks RFC 5547, or a pull without a sha-1 hash: SIP 488
    MsrpFileRefused = 1622,     // the room's store will not take the file (sharing off, bad name, too large): SIP 488
    // xmpp
    XmppUnavailable = 1501,     // the XMPP stack thread is not running (stopping)
    // irc
    IrcUnavailable = 1701,      // the IRC stack thread is not running (stopping)
    // cluster
    ClusterUnreachable = 1801,  // NATS did not answer: a room's owner or the node list is unknown now
    // hubprobe (test plugin)
    HubProbeNotJoined = 1901,
};

// Short stable name of a code, e.g. "missing_field".
SYLK_API std::string_view errorName(ErrorCode code);

}  // namespace sylk
