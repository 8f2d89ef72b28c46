// The gateway's calls: placing and taking them, their media, hold, hang-up and the RTP
// timeout. Part of class Gateway (gateway.hpp); transfers are in gateway_transfer.cpp.
#include "gateway.hpp"

#include <glib.h>

#include "sofia.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "sylkcore/cpim/cpim.hpp"
#include "sylkcore/hub/services.hpp"
#include "sylkcore/hub/service_names.hpp"
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

// ---------------------------------------------------------------- calls

std::string Gateway::ourSdp(GatewaySession& session, bool offer, const std::string& direction) {
    auto bridge = session.bridge();
    uint16_t port = bridge ? bridge->localPort() : 9;
    std::string zrtpHash = bridge ? bridge->zrtpHelloHash() : "";
    uint64_t version = session.call.sdpVersion++;
    if (offer)
        session.call.localSdp = buildOffer(stack_.ip(session.call.mediaListenerOr()), port, sessionIds_, version, direction,
                                           session.call.srtpMode, session.call.localKey, zrtpHash);
    else
        session.call.localSdp = buildAnswer(stack_.ip(session.call.mediaListenerOr()), port, session.call.peer, sessionIds_, version,
                                            direction, session.call.localKey, zrtpHash);
    return session.call.localSdp;
}

Json Gateway::call(const std::shared_ptr<GatewaySession>& session, const std::string& uri, const Json& offer,
                   const std::string& srtp, uint64_t referId) {
    nua_handle_s* transferor = nullptr;
    if (referId != 0) {
        auto refer = refers_.find(referId);
        if (refer == refers_.end())
            throw RequestError(ErrorCode::InvalidField, "no transfer with refer_id " + std::to_string(referId));
        transferor = refer->second;
    }
    if (!session->account.active)
        throw RequestError(ErrorCode::SipWrongState, "register first (or register as a guest)");
    if (session->call.state != CallState::Idle)
        throw RequestError(ErrorCode::SipWrongState, "already in a call");
    if (!validUri(uri))
        throw RequestError(ErrorCode::SipInvalidAddress, "uri must be a SIP URI like sip:bob@example.com");
    if (!offer.get())
        throw RequestError(ErrorCode::SipMissingSdp, "a call needs the browser's JSEP offer");
    janus::AnswerOptions options;
    options.audioCodecs = {"opus"};
    options.video = false;
    options.data = false;
    options.dtmf = true;
    janus::SdpAnswer answer = janus::answerOffer(offer, options);
    if (answer.audioCodec.empty())
        throw RequestError(ErrorCode::InvalidSdp, "the offer has no Opus audio");

    const int listener = stack_.listenerFor(session->account.outboundProxy.empty() ? uri : session->account.outboundProxy);
    auto bridge = makeBridge(session, listener, uri);
    SipCall& call = session->call;
    call = SipCall{};
    call.listener = listener;
    for (const auto& media : answer.media) {
        if (media.type == "audio") {
            call.webrtcOpusPt = media.pt;
            call.mindex = media.mindex;
        }
    }
    // The browser's RFC 4733 digits (RTCDTMFSender) go to the phone, and the phone's to the
    // browser, under the payload type our answer to the browser kept.
    if (json_t* sdp = answer.jsep.member("sdp"); json_is_string(sdp))
        call.webrtcDtmfPt = telephoneEventPt(json_string_value(sdp));
    call.state = CallState::Calling;
    call.peerUri = uri;
    call.srtpMode = srtp;
    call.transferor = transferor;
    if (referId != 0)
        refers_.erase(referId);
    if (!srtp.empty())
        call.localKey = net::SrtpSession::makeKey();
    call.browserAnswer = answer.jsep;
    gchar* uuid = g_uuid_string_random();
    call.callId = uuid;
    g_free(uuid);
    session->setBridge(bridge);
    receiver_.add(bridge);
    ++sessionIds_;
    std::string sdp = ourSdp(*session, true, "sendrecv");
    std::string from = fromHeader(*session);
    call.handle = nua_handle(stack_.nua(listener), nullptr, SIPTAG_TO_STR(uri.c_str()), SIPTAG_FROM_STR(from.c_str()),
                             SIPTAG_CALL_ID_STR(call.callId.c_str()), TAG_END());
    if (!call.handle) {
        receiver_.remove(bridge.get());
        session->setBridge(nullptr);
        call = SipCall{};
        throw RequestError(ErrorCode::SipStackError, "the SIP stack could not make a call to " + uri);
    }
    stack_.adopt(call.handle);
    handles_[call.handle] = session;
    std::string contact = stack_.contactFor(session->account.contactUser, listener);
    nua_invite(call.handle,
               SIPTAG_CONTACT_STR(contact.c_str()),
               SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp.c_str()),
               TAG_IF(!session->account.outboundProxy.empty(), NUTAG_PROXY(session->account.outboundProxy.c_str())),
               TAG_END());
    ++calls_;
    ++callsPlaced_;
    Json event = result("calling");
    event.set("call_id", call.callId);
    return event;
}

std::shared_ptr<MediaBridge> Gateway::makeBridge(const std::shared_ptr<GatewaySession>& session, int listener,
                                                 const std::string& peerUri) {
    auto bridge = std::make_shared<MediaBridge>(janusGateway_, session->handle(), stack_.ip(listener));
    // Called on the RTP receiver thread: only the event sink, which is thread-safe, is used.
    std::weak_ptr<GatewaySession> weak = session;
    if (zrtp_) {
        // The retained secrets are per pair of identities: the web user's AOR and the peer's.
        bridge->enableZrtp(zrtpCache_.get(), session->account.aor, peerUri, [this, weak](const ZrtpKeys& keys) {
            if (auto owner = weak.lock()) {
                Json secure = result("zrtp");
                secure.setBool("secure", true).set("sas", keys.sas).setBool("verified", keys.verified)
                    .setBool("cache_mismatch", keys.cacheMismatch).set("suite", keys.suite);
                events_(*owner, "", secure, Json());
            }
        });
    }
    bridge->setDtmfListener([this, weak](char digit, int durationMs) {
        if (auto owner = weak.lock()) {
            Json dtmf = result("dtmf");
            dtmf.set("signal", std::string(1, digit)).set("duration", durationMs).set("via", "rtp");
            events_(*owner, "", dtmf, Json());
        }
    });
    return bridge;
}

void Gateway::startMedia(GatewaySession& session, const AudioOffer& peer) {
    auto bridge = session.bridge();
    auto codec = codecOf(peer);
    if (!bridge || !codec)
        return;
    BridgeMedia media;
    media.peerIp = peer.address;
    media.peerPort = peer.port;
    media.sipCodec = *codec;
    media.sipPt = peer.payloadType;
    media.sipDtmfPt = peer.telephoneEventPt;
    media.sipDtmfRate = peer.telephoneEventRate;
    media.webrtcOpusPt = session.call.webrtcOpusPt;
    media.webrtcDtmfPt = session.call.webrtcDtmfPt;
    media.mindex = session.call.mindex;
    if (peer.srtp()) {
        if (session.call.localKey.empty())
            session.call.localKey = net::SrtpSession::makeKey();
        media.srtpSuite = peer.cryptoSuite;
        media.localKey = session.call.localKey;
        media.remoteKey = peer.cryptoKey;
    }
    media.zrtpHash = peer.zrtpHash;
    bool wasTranscoding = bridge->transcoding();
    bridge->start(media);
    if (bridge->transcoding() && !wasTranscoding)
        ++callsTranscoded_;
    session.call.peer = peer;
    if (peer.held() != session.call.remoteHold || session.call.mediaSinceUs == 0)
        session.call.mediaSinceUs = g_get_monotonic_time();
    session.call.remoteHold = peer.held();
    bridge->setHeld(session.call.localHold || session.call.remoteHold);
}

void Gateway::notifyTransferor(SipCall& call, int status, const char* phrase) {
    if (!call.transferor || status < 200)
        return;
    std::string fragment = "SIP/2.0 " + std::to_string(status) + " " + (phrase ? phrase : "") + "\r\n";
    nua_notify(call.transferor, NUTAG_SUBSTATE(nua_substate_terminated), SIPTAG_EVENT_STR("refer"),
               SIPTAG_CONTENT_TYPE_STR("message/sipfrag;version=2.0"), SIPTAG_PAYLOAD_STR(fragment.c_str()), TAG_END());
    call.transferor = nullptr;  // its handle is the transferor's call's; it goes with that call
}

void Gateway::onInviteResponse(GatewaySession& session, int status, const char* phrase, const sip_s* sip) {
    SipCall& call = session.call;
    // Sofia's resolver failing on our stack's family comes as its own 503 "DNS Error".
    if (call.state == CallState::Calling && status == 503 && (!sip || (phrase && std::strcmp(phrase, "DNS Error") == 0)) &&
        placeOnOtherFamily(session))
        return;
    if (call.state == CallState::Calling)
        notifyTransferor(call, status, phrase);
    if (onChatInviteResponse(session, status, sip))
        return;
    if (call.state == CallState::Established) {
        const bool repath = call.repathing && status >= 200;
        if (status >= 200)
            call.repathing = false;
        if (status >= 300)
            SYLK_LOG(LOG_WARN, kPackage, "re-INVITE of call %s refused: %d %s", call.callId.c_str(), status,
                     phrase ? phrase : "");
        if (status >= 300 && repath && onRepathRefused(session, status, phrase))
            return;
        if (status >= 300 && repath && call.chatOnly) {
            // The peer refused our chat's new MSRP path (the relay moved it): it can no longer
            // reach us once the old grant ends, so the chat-only call ends now, with the reason
            // (docs/decisions.md); an audio call with chat goes on.
            SYLK_LOG(LOG_WARN, kPackage, "chat call %s ended: its peer refused the new MSRP path (%d)", call.callId.c_str(),
                     status);
            std::string reason = "SIP;cause=" + std::to_string(status) + ";text=\"new MSRP path refused\"";
            nua_bye(call.handle, SIPTAG_REASON_STR(reason.c_str()), TAG_END());
            Json event = result("hangup");
            event.set("code", status).set("reason", "the peer refused the chat's new MSRP path: " + std::to_string(status) +
                                                        " " + (phrase ? phrase : ""));
            emit(session, event);
            call.hangupReported = true;
        }
        return;  // the answer to our hold/resume re-INVITE: the media stay as they are
    }
    if (call.state != CallState::Calling || status < 180)
        return;
    std::string sdp = bodyOf(sip);
    if (status < 200) {
        if (status == 183 && !sdp.empty() && !call.answerSent) {
            std::string reason;
            if (auto peer = chooseAudio(sdp, &reason)) {
                startMedia(session, *peer);
                call.answerSent = true;
                Json event = result("progress");
                event.set("username", call.peerUri);
                emit(session, event, call.browserAnswer);
                return;
            }
        }
        Json event = result(status == 180 ? "ringing" : "proceeding");
        if (status != 180)
            event.set("code", status);
        emit(session, event);
        return;
    }
    if (status < 300) {
        // The dialog's tags, for an attended transfer that names this call (Replaces).
        if (sip && sip->sip_from && sip->sip_from->a_tag && sip->sip_to && sip->sip_to->a_tag) {
            call.localTag = sip->sip_from->a_tag;
            call.remoteTag = sip->sip_to->a_tag;
        }
        std::string reason = "no SDP answer";
        auto peer = sdp.empty() ? std::nullopt : chooseAudio(sdp, &reason);
        if (peer && call.srtpMode == "mandatory" && !peer->srtp()) {
            reason = "SRTP required but the answer has no a=crypto";
            peer.reset();
        }
        if (!peer && !call.answerSent) {
            // Nothing we can play: end the call the peer just answered.
            SYLK_LOG(LOG_WARN, kPackage, "call %s answered without usable audio: %s", call.callId.c_str(), reason.c_str());
            nua_bye(call.handle, TAG_END());
            call.state = CallState::Established;
            Json event = result("hangup");
            event.set("code", 488).set("reason", "Not Acceptable Here: " + reason);
            emit(session, event);
            call.hangupReported = true;
            return;
        }
        if (peer)
            startMedia(session, *peer);
        call.state = CallState::Established;
        call.answeredUs = g_get_real_time();
        Json event = result("accepted");
        event.set("username", call.peerUri);
        if (auto bridge = session.bridge())
            event.setBool("transcoding", bridge->transcoding()).set("codec", call.peer.codec).setBool("srtp", call.peer.srtp());
        emit(session, event, call.answerSent ? Json() : call.browserAnswer);
        call.answerSent = true;
        return;
    }
    if ((status == 401 || status == 407) && authenticate(session.account, call.handle, sip, call.authAttempts))
        return;
    Json event = result("hangup");
    event.set("code", status).set("reason", phrase ? phrase : "");
    emit(session, event);
    call.hangupReported = true;
}

void Gateway::onIncomingInvite(nua_handle_s* handle, const sip_s* sip) {
    deliverInvite(handle, sip, stack_.currentListener(), 0);
}

void Gateway::deliverInvite(nua_handle_s* handle, const sip_s* sip, int listener, int64_t ringingSinceUs) {
    const bool alreadyRinging = ringingSinceUs != 0;
    auto session = contacts_[requestUser(sip)].lock();
    if (!session && forXmppUser(sip)) {
        session = takeXmppSession(sip);
        // None waiting: held for the xmpp plugin's next handle (gateway_xmpp.cpp), which comes
        // within milliseconds; a later delivery (alreadyRinging) has no current request to hold.
        if (!session && !alreadyRinging && holdXmppInvite(handle, listener))
            return;
        if (!session) {
            stack_.refuse(handle, 480, sip_480_Temporarily_unavailable, "the XMPP gateway is not ready");
            return;
        }
    }
    if (!session) {
        stack_.refuse(handle, 404, sip_404_Not_found, "no such user");
        return;
    }
    std::string caller = fromUri(sip);
    std::string callee = toUri(sip);
    {
        // A file sent to the web user (RFC 5547, the client's a=sendonly): a dialog of its own,
        // taken next to any call (gateway_files.cpp).
        std::string body = bodyOf(sip);
        std::string fileReason;
        auto file = body.empty() ? std::nullopt : chooseMessage(body, &fileReason);
        if (file && file->fileTransfer() && file->direction == "sendonly" &&
            hub::Services::instance().offered(hub::service::MsrpOpenSession)) {
            if (stack_.takesSdpOffer(handle, sip))
                offerFile(session, handle, sip, *file, body);
            return;
        }
        // A file the client asks the web user for (a=recvonly; gateway_files_pull.cpp).
        if (file && file->fileTransfer() && file->direction == "recvonly" &&
            hub::Services::instance().offered(hub::service::MsrpOpenSession)) {
            if (stack_.takesSdpOffer(handle, sip))
                requestFile(session, handle, sip, *file, body);
            return;
        }
    }
    if (sip && sip->sip_replaces) {
        replaceCall(*session, handle, sip);
        return;
    }
    if (session->call.state != CallState::Idle) {
        // One call per handle, as in the stock plugin: the second is refused and reported.
        stack_.refuse(handle, 486, sip_486_Busy_here, "");
        SipCall busy;  // a missed call in the account's history too
        busy.incoming = true;
        busy.callId = callIdOf(sip);
        busy.peerUri = caller;
        recordCall(*session, busy, 486, "Busy Here");
        Json event = result("missed_call");
        event.set("caller", caller).set("displayname", displayOf(sip)).set("callee", callee);
        events_(*session, callIdOf(sip), event, Json());
        return;
    }
    if (!stack_.takesSdpOffer(handle, sip))
        return;
    std::string reason;
    std::string offer = bodyOf(sip);
    auto peer = offer.empty() ? std::nullopt : chooseAudio(offer, &reason);
    if (!peer) {
        // No audio: a chat-only call (m=message) is the msrp plugin's to carry (gateway_chat.cpp).
        std::string chatReason;
        auto chat = offer.empty() ? std::nullopt : chooseMessage(offer, &chatReason);
        if (chat && !chat->fileTransfer() && hub::Services::instance().offered(hub::service::MsrpOpenSession)) {
            offerChat(session, handle, sip, *chat, offer);
            return;
        }
        stack_.refuse(handle, 488, sip_488_Not_acceptable, offer.empty() ? "an SDP offer is needed" : reason);
        return;
    }
    SipCall& call = session->call;
    call = SipCall{};
    call.state = CallState::Ringing;
    call.incoming = true;
    call.listener = listener;
    if (alreadyRinging)
        call.startedUs = ringingSinceUs;  // a kept ring handed over: the call began when it came
    // The media follows the offer's family, which may differ from the INVITE's (dual stack).
    for (int i = 0; i < stack_.listeners(); ++i) {
        if ((stack_.ip(i).find(':') != std::string::npos) == (peer->address.find(':') != std::string::npos))
            call.mediaListener = i;
    }
    call.handle = handle;
    call.callId = callIdOf(sip);
    call.peerUri = caller;
    call.peer = *peer;
    // Chat next to the audio (m=message, not a file transfer): opened too when the web user
    // accepts; the page gets both in one call.
    std::string chatReason;
    if (auto chat = chooseMessage(offer, &chatReason);
        chat && !chat->fileTransfer() && hub::Services::instance().offered(hub::service::MsrpOpenSession)) {
        call.msrpOffer = *chat;
        call.offeredLines = mediaLines(offer);
    }
    // With RFC 4733 telephone-event: the browser's keypad (RTCDTMFSender) reaches the phone in
    // band, and the phone's digits the browser; accept() keeps it only if the answer does.
    janus::AudioOfferSdp browserOffer = janus::makeAudioOffer(true);
    call.webrtcOpusPt = browserOffer.opusPt;
    call.webrtcDtmfPt = browserOffer.dtmfPt;
    call.mindex = 0;
    handles_[handle] = session;
    ++calls_;
    ++callsReceived_;
    // A call to an XMPP user rings when her device says so (XEP-0353 <ringing/>: `ringing`).
    if (!session->account.xmppSessions && !alreadyRinging)
        nua_respond(handle, 180, sip_180_Ringing, TAG_END());
    Json event = result("incomingcall");
    event.set("username", caller).set("displayname", displayOf(sip)).set("callee", callee).set("codec", peer->codec);
    if (call.msrpOffer)
        event.setBool("chat", true);
    if (peer->srtp())
        event.set("srtp", "sdes_optional");
    emit(*session, event, browserOffer.jsep);
    // The account's phone apps ring too (woken by a voip push), as the proxy forks to them.
    if (!alreadyRinging)
        pushCall(*session, push::PushEvent::Kind::IncomingCall, "");
}

Json Gateway::accept(GatewaySession& session, const Json& answer) {
    SipCall& call = session.call;
    if (call.state != CallState::Ringing || !call.incoming)
        throw RequestError(ErrorCode::SipWrongState, "no incoming call to accept");
    if (call.chatOnly) {  // no JSEP: the chat is not in the browser's PeerConnection
        pushCall(session, push::PushEvent::Kind::Cancel, "answered elsewhere");
        return acceptChat(session);
    }
    json_t* type = answer.member("type");
    if (!answer.get() || !json_is_string(type) || std::string(json_string_value(type)) != "answer")
        throw RequestError(ErrorCode::SipMissingSdp, "accept needs the browser's JSEP answer to the incomingcall offer");
    pushCall(session, push::PushEvent::Kind::Cancel, "answered elsewhere");  // the phones stop ringing
    if (json_t* sdp = answer.member("sdp"); json_is_string(sdp))
        call.webrtcDtmfPt = telephoneEventPt(json_string_value(sdp));
    auto bridge = makeBridge(session.shared_from_this(), call.mediaListenerOr(), call.peerUri);
    session.setBridge(bridge);
    receiver_.add(bridge);
    startMedia(session, call.peer);
    std::string sdp;
    bool chat = false;
    if (call.msrpOffer) {
        // Audio and chat: one answer with both, in the offer's order; a chat the msrp plugin
        // refuses is answered with port 0 and the audio call goes on.
        MsrpAnswer chatAnswer;
        std::string reason;
        chat = openOfferedChat(session, &chatAnswer, &reason);
        AnswerStreams streams;
        streams.offered = call.offeredLines;
        streams.audio = &call.peer;
        streams.audioPort = bridge->localPort();
        streams.audioDirection = answerDirection(call.peer.direction);
        streams.localKey = call.localKey;
        streams.zrtpHash = bridge->zrtpHelloHash();
        if (chat) {
            streams.msrpIndex = call.msrpOffer->index;
            streams.msrp = &chatAnswer;
        }
        sdp = buildStreamsAnswer(stack_.ip(call.mediaListenerOr()), sessionIds_, call.sdpVersion++, streams);
        call.localSdp = sdp;
    } else {
        sdp = ourSdp(session, false, answerDirection(call.peer.direction));
    }
    std::string contact = stack_.contactFor(session.account.contactUser, call.listener);
    nua_respond(call.handle, 200, sip_200_OK, SIPTAG_CONTACT_STR(contact.c_str()),
                SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp.c_str()), TAG_END());
    call.state = CallState::Established;
    call.answeredUs = g_get_real_time();
    Json event = result("accepted");
    event.setBool("transcoding", bridge->transcoding()).set("codec", call.peer.codec).setBool("srtp", call.peer.srtp());
    if (zrtp_ && !call.peer.srtp() && !call.peer.zrtpHash.empty())
        event.setBool("zrtp", true);  // a zrtp event follows with the SAS once the exchange ends
    if (chat)
        event.set("username", call.peerUri).setBool("chat", true);
    return event;
}

Json Gateway::decline(GatewaySession& session, int code) {
    SipCall& call = session.call;
    if (call.state != CallState::Ringing || !call.incoming)
        throw RequestError(ErrorCode::SipWrongState, "no incoming call to decline");
    pushCall(session, push::PushEvent::Kind::Cancel, "declined elsewhere");
    call.declined = true;
    const char* phrase = sip_status_phrase(code);
    nua_respond(call.handle, code, phrase ? phrase : "Declined", TAG_END());
    Json event = result("declining");
    event.set("code", code);
    return event;
}

Json Gateway::hangup(GatewaySession& session) {
    SipCall& call = session.call;
    switch (call.state) {
    case CallState::Idle:
        throw RequestError(ErrorCode::SipWrongState, "no call to hang up");
    case CallState::Calling:
        nua_cancel(call.handle, TAG_END());
        break;
    case CallState::Ringing:
        nua_respond(call.handle, 480, sip_480_Temporarily_unavailable, TAG_END());
        break;
    case CallState::Established:
        nua_bye(call.handle, TAG_END());
        break;
    }
    return result("hangingup");
}

void Gateway::endCall(GatewaySession& session, int code, const std::string& reason) {
    SipCall& call = session.call;
    if (call.state == CallState::Idle)
        return;
    if (call.incoming && call.state == CallState::Ringing && !call.pushCancelled) {
        // Nobody answered: the phones stop ringing and show a missed call.
        pushCall(session, push::PushEvent::Kind::Cancel, reason);
        pushCall(session, push::PushEvent::Kind::MissedCall, reason);
    }
    if (!call.hangupReported) {
        Json event = result("hangup");
        event.set("code", code).set("reason", reason);
        emit(session, event);
    }
    recordCall(session, call, code, reason);
    // The ICE agent Janus made for the offer of an audio call that was never answered (our
    // incomingcall's, or the browser's outgoing one) goes with the call: no DTLS session ends it,
    // and the handle's next offer would fail ("Error setting ICE locally"). An answered call's
    // PeerConnection is the browser's to hang up (Janus's close_pc fires up to a second later
    // and would end a next call's new one). Not for a chat-only call (no agent: Janus would stay
    // "cleaning" one that never was), nor for a handle going away, nor the xmpp plugin's.
    if (!call.chatOnly && call.answeredUs == 0 && !call.pageGone && !session.account.xmppSessions)
        janusGateway_.closePc(session.handle());
    if (auto bridge = session.bridge()) {
        receiver_.remove(bridge.get());
        session.setBridge(nullptr);
    }
    // The call's handle may be a transferor's: nobody may NOTIFY it once it is gone.
    std::erase_if(refers_, [&](const auto& refer) { return refer.second == call.handle; });
    for (auto& [otherHandle, weak] : handles_) {
        if (auto other = weak.lock(); other && other->call.transferor == call.handle)
            other->call.transferor = nullptr;
    }
    closeChat(session);
    handles_.erase(call.handle);
    stack_.retire(call.handle);
    call = SipCall{};
    --calls_;
}

Json Gateway::hold(GatewaySession& session, bool hold, const std::string& direction) {
    SipCall& call = session.call;
    if (call.state != CallState::Established)
        throw RequestError(ErrorCode::SipWrongState, "no established call");
    call.localHold = hold;
    call.mediaSinceUs = g_get_monotonic_time();
    if (auto bridge = session.bridge())
        bridge->setHeld(call.localHold || call.remoteHold);
    std::string sdp = ourSdp(session, false, hold ? direction : "sendrecv");
    nua_invite(call.handle, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp.c_str()), TAG_END());
    return result(hold ? "holding" : "resuming");
}

void Gateway::onReInvite(GatewaySession& session, const sip_s* sip) {
    SipCall& call = session.call;
    std::string offer = bodyOf(sip);
    if (onChatReInvite(session, offer))
        return;  // a call with chat (gateway_chat_reinvite.cpp)
    if (!offer.empty()) {
        std::string reason;
        auto peer = chooseAudio(offer, &reason);
        if (!peer) {
            nua_respond(call.handle, 488, sip_488_Not_acceptable, TAG_END());
            return;
        }
        bool wasHeld = call.remoteHold;
        startMedia(session, *peer);
        if (wasHeld != call.remoteHold)
            emit(session, result(call.remoteHold ? "remote_hold" : "remote_resume"));
    }
    std::string direction = call.localHold ? "sendonly" : answerDirection(call.peer.direction);
    if (call.localHold && call.remoteHold)
        direction = "inactive";
    std::string sdp = ourSdp(session, false, direction);
    nua_respond(call.handle, 200, sip_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp.c_str()),
                TAG_END());
}

void Gateway::mediaGone(GatewaySession& session) {
    // An incoming call that rings has no PeerConnection yet (the page makes it when it
    // accepts): a media hangup then is the previous call's, which the page sends when that call
    // ends and which can arrive after the next INVITE; it must not refuse the new call (480).
    // Janus's stock SIP plugin ignores it in that state too.
    if (session.call.state == CallState::Idle || session.call.state == CallState::Ringing)
        return;
    hangup(session);
}

void Gateway::sessionGone(GatewaySession& session) {
    endFiles(session);  // the page session ends: its file dialogs, files and download token go
    if (session.call.state != CallState::Idle) {
        hangup(session);
        // The handle is going away: nothing to report the hangup to.
        session.call.hangupReported = true;
        session.call.pageGone = true;
        endCall(session, 200, "gone");
    }
    if (session.account.active && keepOnLeave(session))  // kept registered (gateway_keep.cpp)
        return;
    if (session.account.active) {
        contacts_.erase(session.account.contactUser);
        --accounts_;
        if (session.account.registration) {
            handles_.erase(session.account.registration);
            if (session.account.registered) {
                // Finished on nua_r_unregister (a challenge answered with the kept credentials),
                // which retires the handle; Sofia answers that itself (408) if the registrar is mute.
                unregistering_[session.account.registration] = session.account;
                unregistering_[session.account.registration].authAttempts = 0;
                nua_unregister(session.account.registration, TAG_END());
            } else {
                stack_.retire(session.account.registration);
            }
        }
        session.account = SipAccount{};
    }
}

void Gateway::checkRtpTimeouts() {
    int timeout = stack_.settings().rtpTimeoutSeconds;
    if (timeout <= 0)
        return;
    int64_t now = g_get_monotonic_time();
    int64_t limit = static_cast<int64_t>(timeout) * G_USEC_PER_SEC;
    for (auto& [handle, weak] : handles_) {
        auto session = weak.lock();
        if (!session || handle != session->call.handle)
            continue;
        SipCall& call = session->call;
        auto bridge = session->bridge();
        if (call.state != CallState::Established || call.localHold || call.remoteHold || call.timedOut || !bridge)
            continue;
        int64_t last = std::max(bridge->lastSipPacketUs(), call.mediaSinceUs);
        if (now - last <= limit)
            continue;
        SYLK_LOG(LOG_INFO, kPackage, "call %s: no RTP from the peer for %d s, hanging up", call.callId.c_str(), timeout);
        call.timedOut = true;
        nua_bye(handle, SIPTAG_REASON_STR("SIP;cause=408;text=\"RTP timeout\""), TAG_END());
        Json event = result("hangup");
        event.set("code", 408).set("reason", "RTP timeout");
        emit(*session, event);
        call.hangupReported = true;
    }
}

bool Gateway::placeOnOtherFamily(GatewaySession& session) {
    SipCall& call = session.call;
    const std::string& target = session.account.outboundProxy.empty() ? call.peerUri : session.account.outboundProxy;
    if (call.familyRetried || stack_.listeners() < 2 || call.answerSent)
        return false;
    // Only names: a literal address went out on its own family already.
    std::string bare = target.size() > 1 && target.front() == '<' ? target.substr(1, target.size() - 2) : target;
    su_home_t home[1] = {SU_HOME_INIT(home)};
    url_t* url = url_make(home, bare.c_str());
    std::string host = url && url->url_host ? url->url_host : "";
    su_home_deinit(home);
    if (host.empty() || host.front() == '[' || g_hostname_is_ip_address(host.c_str()))
        return false;
    const int other = call.listener == 0 ? 1 : 0;
    auto owner = session.shared_from_this();
    std::string from = fromHeader(session);
    nua_handle_s* handle = nua_handle(stack_.nua(other), nullptr, SIPTAG_TO_STR(call.peerUri.c_str()),
                                      SIPTAG_FROM_STR(from.c_str()), SIPTAG_CALL_ID_STR(call.callId.c_str()), TAG_END());
    if (!handle)
        return false;
    std::shared_ptr<MediaBridge> bridge;
    try {
        bridge = makeBridge(owner, other, call.peerUri);
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_WARN, kPackage, "call %s: no media socket on %s: %s", call.callId.c_str(), stack_.ip(other).c_str(), e.what());
        nua_handle_destroy(handle);
        return false;
    }
    SYLK_LOG(LOG_INFO, kPackage, "call %s: placed again from %s (the target's name has no address of the other family)",
             call.callId.c_str(), stack_.ip(other).c_str());
    if (auto old = session.bridge())
        receiver_.remove(old.get());
    session.setBridge(bridge);
    receiver_.add(bridge);
    handles_.erase(call.handle);
    stack_.retire(call.handle);
    stack_.adopt(handle);
    handles_[handle] = owner;
    call.handle = handle;
    call.listener = other;
    call.familyRetried = true;
    std::string sdp = ourSdp(session, true, "sendrecv");
    std::string contact = stack_.contactFor(session.account.contactUser, other);
    nua_invite(handle, SIPTAG_CONTACT_STR(contact.c_str()), SIPTAG_CONTENT_TYPE_STR("application/sdp"),
               SIPTAG_PAYLOAD_STR(sdp.c_str()),
               TAG_IF(!session.account.outboundProxy.empty(), NUTAG_PROXY(session.account.outboundProxy.c_str())), TAG_END());
    return true;
}

}  // namespace sylk::sip
