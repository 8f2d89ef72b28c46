// The gateway's transfers: blind (REFER out, RFC 3515), REFER in, and attended (REFER with
// Replaces out, an INVITE with Replaces taking over a call, RFC 3891). Part of class Gateway
// (gateway.hpp); gateway_calls.cpp places and takes the calls themselves.
#include "gateway.hpp"

#include <glib.h>

#include "sofia.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "sylkcore/cpim/cpim.hpp"
#include "sylkcore/hub/services.hpp"
#include "imdn.hpp"
#include "rtp_receiver.hpp"
#include "sip_message.hpp"
#include "sip_stack.hpp"
#include "sylkcore/janus/sdp_answer.hpp"
#include "sylkcore/janus/sdp_offer.hpp"
#include "sylkcore/log.hpp"
#include "sylkcore/net/srtp_session.hpp"
#include "sylkcore/request_error.hpp"

#include "gateway_detail.hpp"

namespace sylk::sip {

using namespace gateway_detail;

namespace {

// RFC 3261 URI header values: what is not unreserved or "[]/?:+$" goes %-escaped.
std::string uriHeaderEscaped(const std::string& value) {
    static const char* kHex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : value) {
        if (g_ascii_isalnum(c) || std::strchr("-_.!~*'()[]/?:+$", c) != nullptr) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

}  // namespace

Json Gateway::transfer(GatewaySession& session, const std::string& uri, const std::string& replaces) {
    if (session.call.state != CallState::Established)
        throw RequestError(ErrorCode::SipWrongState, "no established call to transfer");
    std::string target = uri;
    std::string replacesHeader;
    if (!replaces.empty()) {
        // Attended transfer (RFC 5589 §7): the consulted call, another of this account's calls.
        std::shared_ptr<GatewaySession> consulted;
        for (const auto& [handle, weak] : handles_) {
            auto other = weak.lock();
            if (other && other.get() != &session && other->call.handle == handle && other->call.callId == replaces &&
                other->account.aor == session.account.aor)
                consulted = other;
        }
        if (!consulted || consulted->call.state != CallState::Established)
            throw RequestError(ErrorCode::SipWrongState, "replaces names no established call of this account");
        std::string localTag = consulted->call.localTag, remoteTag = consulted->call.remoteTag;
        if (remoteTag.empty()) {  // a call the peer made: Sofia's view of the dialog
            const sip_to_t* remote = nua_handle_remote(consulted->call.handle);
            const sip_from_t* local = nua_handle_local(consulted->call.handle);
            localTag = local && local->a_tag ? local->a_tag : "";
            remoteTag = remote && remote->a_tag ? remote->a_tag : "";
        }
        if (localTag.empty() || remoteTag.empty())
            throw RequestError(ErrorCode::SipWrongState, "the consulted call has no confirmed dialog");
        // Its peer matches the dialog by its own tag as to-tag, ours as from-tag (RFC 3891 §3).
        replacesHeader = replaces + ";to-tag=" + remoteTag + ";from-tag=" + localTag;
        if (target.empty())
            target = consulted->call.peerUri;
    }
    if (!validUri(target) || target.find('?') != std::string::npos)
        throw RequestError(ErrorCode::SipInvalidAddress, "uri must be a SIP URI");
    std::string referTo = "<" + target + (replacesHeader.empty() ? "" : "?Replaces=" + uriHeaderEscaped(replacesHeader)) + ">";
    std::string referredBy = "<" + session.account.aor + ">";
    nua_refer(session.call.handle, SIPTAG_REFER_TO_STR(referTo.c_str()), SIPTAG_REFERRED_BY_STR(referredBy.c_str()),
              TAG_END());
    Json event = result("transferring");
    event.set("refer_to", target);
    if (!replaces.empty())
        event.set("replaces", replaces);
    return event;
}

void Gateway::onRefer(GatewaySession& session, nua_handle_s* handle, const sip_s* sip) {
    // The peer transfers our user (RFC 3515): accepted here, carried out by the web app with a
    // "call" that names refer_id (the stock plugin's flow); progress goes back as NOTIFYs.
    if (!sip || !sip->sip_refer_to) {
        nua_respond(handle, 400, sip_400_Bad_request, NUTAG_WITH_THIS(stack_.nua()), TAG_END());
        return;
    }
    url_t target = *sip->sip_refer_to->r_url;
    target.url_headers = nullptr;  // Replaces and other embedded headers are not ours to follow
    char buffer[512];
    int length = url_e(buffer, sizeof(buffer), &target);
    if (length <= 0 || static_cast<size_t>(length) >= sizeof(buffer)) {
        nua_respond(handle, 400, sip_400_Bad_request, NUTAG_WITH_THIS(stack_.nua()), TAG_END());
        return;
    }
    uint64_t referId = (static_cast<uint64_t>(g_random_int()) << 21) ^ g_random_int();
    refers_[referId] = handle;
    nua_respond(handle, 202, sip_202_Accepted, NUTAG_WITH_THIS(stack_.nua()), TAG_END());
    Json event = result("transfer");
    event.set("refer_to", std::string(buffer, static_cast<size_t>(length)))
        .set("refer_id", static_cast<json_int_t>(referId));
    if (sip->sip_referred_by)
        event.set("referred_by", uriOfHeader(sip->sip_referred_by->b_url));
    emit(session, event);
}

void Gateway::onReferNotify(GatewaySession& session, const sip_s* sip, const void* tags) {
    // How the transfer we asked for goes: the sipfrag's status line.
    std::string body = bodyOf(sip);
    Json event = result("transfer_progress");
    event.set("status_line", body.substr(0, body.find('\r')).substr(0, 128));
    int state = nua_substate_active;
    tl_gets(static_cast<const tagi_t*>(tags), NUTAG_SUBSTATE_REF(state), TAG_END());
    event.setBool("final", state == nua_substate_terminated);
    emit(session, event);
}

void Gateway::replaceCall(GatewaySession& session, nua_handle_s* handle, const sip_s* sip) {
    SipCall& call = session.call;
    const sip_replaces_t* replaces = sip->sip_replaces;
    std::string localTag = call.localTag, remoteTag = call.remoteTag;
    if (call.handle && (localTag.empty() || remoteTag.empty())) {  // a call the peer made: Sofia's view
        const sip_from_t* local = nua_handle_local(call.handle);
        const sip_to_t* remote = nua_handle_remote(call.handle);
        localTag = local && local->a_tag ? local->a_tag : localTag;
        remoteTag = remote && remote->a_tag ? remote->a_tag : remoteTag;
    }
    // RFC 3891 section 3: the to-tag is ours, the from-tag the peer's.
    if (call.state != CallState::Established || !replaces->rp_call_id || call.callId != replaces->rp_call_id ||
        !replaces->rp_to_tag || localTag != replaces->rp_to_tag || !replaces->rp_from_tag ||
        remoteTag != replaces->rp_from_tag) {
        stack_.refuse(handle, 481, sip_481_No_transaction, "Replaces names no established call here");
        return;
    }
    if (replaces->rp_early_only) {  // the call is confirmed, not early
        stack_.refuse(handle, 486, sip_486_Busy_here, "the call is no longer early");
        return;
    }
    if (!stack_.takesSdpOffer(handle, sip))
        return;
    std::string reason = "an SDP offer is needed";
    std::string offer = bodyOf(sip);
    auto peer = offer.empty() ? std::nullopt : chooseAudio(offer, &reason);
    auto bridge = session.bridge();
    if (!peer || !bridge || call.chatOnly) {
        stack_.refuse(handle, 488, sip_488_Not_acceptable, peer ? "the call has no audio to take over" : reason);
        return;
    }
    if ((peer->address.find(':') != std::string::npos) != (stack_.ip(call.mediaListenerOr()).find(':') != std::string::npos)) {
        stack_.refuse(handle, 488, sip_488_Not_acceptable, "the call's media is of the other address family");
        return;
    }
    nua_handle_s* old = call.handle;
    std::string oldCallId = call.callId;
    nua_bye(old, SIPTAG_REASON_STR("SIP;cause=200;text=\"call replaced\""), TAG_END());
    handles_.erase(old);
    stack_.retire(old, 33);  // after the BYE's transaction
    std::erase_if(refers_, [&](const auto& refer) { return refer.second == old; });
    call.handle = handle;
    call.callId = callIdOf(sip);
    call.peerUri = fromUri(sip);
    call.listener = stack_.currentListener();
    call.localTag.clear();
    call.remoteTag = sip->sip_from && sip->sip_from->a_tag ? sip->sip_from->a_tag : "";
    call.transferor = nullptr;
    handles_[handle] = session.shared_from_this();
    startMedia(session, *peer);  // the bridge now sends to and takes from the new peer
    std::string sdp = ourSdp(session, false, answerDirection(peer->direction));
    std::string contact = stack_.contactFor(session.account.contactUser, call.listener);
    nua_respond(handle, 200, sip_200_OK, SIPTAG_CONTACT_STR(contact.c_str()), SIPTAG_CONTENT_TYPE_STR("application/sdp"),
                SIPTAG_PAYLOAD_STR(sdp.c_str()), TAG_END());
    SYLK_LOG(LOG_INFO, kPackage, "call %s replaced by %s (RFC 3891)", oldCallId.c_str(), call.callId.c_str());
    Json event = result("replaced");
    event.set("username", call.peerUri).set("displayname", displayOf(sip)).set("replaced_call_id", oldCallId)
        .set("codec", peer->codec);
    emit(session, event);
}

}  // namespace sylk::sip
