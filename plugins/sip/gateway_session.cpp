#include "gateway_session.hpp"

namespace sylk::sip {
namespace {

const char* callStateName(CallState state) {
    switch (state) {
    case CallState::Idle: return "idle";
    case CallState::Calling: return "calling";
    case CallState::Ringing: return "ringing";
    case CallState::Established: return "incall";
    }
    return "unknown";
}

}  // namespace

Json GatewaySession::describe() const {
    // The stock janus.plugin.sip's query_session fields where they mean the same; credentials
    // are never shown, not even masked.
    Json json = Json::object();
    const char* registration = !account.active          ? "unregistered"
                               : account.registered     ? "registered"
                                                        : "registering";
    json.set("registration_status", registration);
    if (account.active) {
        json.set("identity", account.aor)
            .set("username", account.user)
            .set("display_name", account.displayName)
            .set("type", account.sendRegister ? "sip" : "guest")
            .set("contact_user", account.contactUser)
            .set("register_ttl", account.ttl);
        if (!account.registrar.empty())
            json.set("proxy", account.registrar);
        if (!account.outboundProxy.empty())
            json.set("outbound_proxy", account.outboundProxy);
    }
    json.set("call_status", callStateName(call.state));
    if (call.state != CallState::Idle) {
        Json media = Json::object();
        media.set("codec", call.peer.codec)
            .set("payload_type", call.peer.payloadType)
            .set("peer_address", call.peer.address)
            .set("peer_port", call.peer.port)
            .set("direction", call.peer.direction)
            .setBool("srtp", call.peer.srtp())
            .set("srtp_mode", call.srtpMode.empty() ? "none" : call.srtpMode)
            .setBool("local_hold", call.localHold)
            .setBool("remote_hold", call.remoteHold);
        if (call.peer.srtp())
            media.set("srtp_suite", call.peer.cryptoSuite);
        if (auto current = bridge()) {
            media.setBool("transcoding", current->transcoding())
                .set("packets_to_sip", static_cast<json_int_t>(current->packetsToSip()))
                .set("packets_to_webrtc", static_cast<json_int_t>(current->packetsToWebRtc()));
        }
        json.set("call_id", call.callId)
            .set(call.incoming ? "caller" : "callee", call.peerUri)
            .setBool("incoming", call.incoming)
            .set("media", media);
    }
    return json;
}

}  // namespace sylk::sip
