#include "error_code.hpp"

namespace sylk {

std::string_view errorName(ErrorCode code) {
    switch (code) {
    case ErrorCode::MalformedRequest: return "malformed_request";
    case ErrorCode::MissingField: return "missing_field";
    case ErrorCode::InvalidField: return "invalid_field";
    case ErrorCode::UnknownRequest: return "unknown_request";
    case ErrorCode::PayloadTooLarge: return "payload_too_large";
    case ErrorCode::InvalidJsep: return "invalid_jsep";
    case ErrorCode::InvalidSdp: return "invalid_sdp";
    case ErrorCode::NotFound: return "not_found";
    case ErrorCode::Unauthorized: return "unauthorized";
    case ErrorCode::WrongState: return "wrong_state";
    case ErrorCode::InternalError: return "internal_error";
    case ErrorCode::EchoNoMediaNegotiated: return "no_media_negotiated";
    case ErrorCode::EchoNotSupported: return "not_supported";
    case ErrorCode::VideoRoomUnknownError: return "unknown_error";
    case ErrorCode::VideoRoomJoinFirst: return "join_first";
    case ErrorCode::VideoRoomNoSuchRoom: return "no_such_room";
    case ErrorCode::VideoRoomRoomExists: return "room_exists";
    case ErrorCode::VideoRoomNoSuchFeed: return "no_such_feed";
    case ErrorCode::VideoRoomPublishersFull: return "publishers_full";
    case ErrorCode::VideoRoomUnauthorized: return "unauthorized";
    case ErrorCode::VideoRoomAlreadyPublished: return "already_published";
    case ErrorCode::VideoRoomNotPublished: return "not_published";
    case ErrorCode::VideoRoomAlreadyJoined: return "already_joined";
    case ErrorCode::VideoRoomMessageTooLong: return "message_too_long";
    case ErrorCode::VideoRoomNoSuchRecipient: return "no_such_recipient";
    case ErrorCode::AudioMixerNoSuchRoom: return "no_such_room";
    case ErrorCode::AudioMixerRoomExists: return "room_exists";
    case ErrorCode::AudioMixerNotJoined: return "not_joined";
    case ErrorCode::AudioMixerUnauthorized: return "unauthorized";
    case ErrorCode::AudioMixerIdExists: return "id_exists";
    case ErrorCode::AudioMixerAlreadyJoined: return "already_joined";
    case ErrorCode::AudioMixerNoSuchUser: return "no_such_user";
    case ErrorCode::AudioMixerInvalidSdp: return "invalid_sdp";
    case ErrorCode::AudioMixerRoomFull: return "room_full";
    case ErrorCode::AudioMixerUnsupportedCodec: return "unsupported_codec";
    case ErrorCode::AudioMixerRtpUnavailable: return "rtp_unavailable";
    case ErrorCode::SipAlreadyRegistered: return "already_registered";
    case ErrorCode::SipInvalidAddress: return "invalid_address";
    case ErrorCode::SipWrongState: return "wrong_state";
    case ErrorCode::SipMissingSdp: return "missing_sdp";
    case ErrorCode::SipStackError: return "sip_stack_error";
    case ErrorCode::SipIoError: return "io_error";
    case ErrorCode::SipPushUnavailable: return "push_unavailable";
    case ErrorCode::MsrpNoSuchSession: return "no_such_session";
    case ErrorCode::MsrpBadPath: return "bad_path";
    case ErrorCode::MsrpUnsupported: return "unsupported";
    case ErrorCode::MsrpUnavailable: return "unavailable";
    case ErrorCode::MsrpNoSuchFile: return "no_such_file";
    case ErrorCode::MsrpBadFileOffer: return "bad_file_offer";
    case ErrorCode::MsrpFileRefused: return "file_refused";
    case ErrorCode::XmppUnavailable: return "unavailable";
    case ErrorCode::IrcUnavailable: return "unavailable";
    case ErrorCode::ClusterUnreachable: return "cluster_unreachable";
    case ErrorCode::HubProbeNotJoined: return "not_joined";
    }
    return "unknown_error";
}

}  // namespace sylk
