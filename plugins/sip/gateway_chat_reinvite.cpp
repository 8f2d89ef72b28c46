// Re-INVITEs of the gateway's calls with chat: a chat-only call (m=message) or an audio call
// with chat next to it. What a re-INVITE may do (docs/sip-api.md, "Re-INVITEs of calls with
// chat"):
// - refresh the session or hold/resume the audio, keeping the m=message with the same a=path:
//   200, the audio changes as in onReInvite, our m=message is repeated as it was;
// - drop the chat of an audio call (m=message port 0, or gone): 200, the MSRP session closes
//   and the page gets "chatclosed";
// - add a chat (or any other stream) to a call that has none: 200 with that stream refused
//   (port 0); the call goes on as it was.
// What cannot change, 488 (the call stays as it was, RFC 3261 §14.2):
// - a chat-only call's m=message removed (a BYE ends a chat), or one with another a=path (a
//   new MSRP session: the msrp plugin's session cannot be moved to another peer path);
// - the audio of an audio call removed or without a codec we take (as for audio-only calls);
// - an m=message turned into a file transfer (a=file-selector: a new session in RFC 5547).
// And ours: when the msrp plugin moves the chat to a new path (its relay's Use-Path changed at a
// refresh), we re-INVITE with our last SDP, its a=path replaced (onChatPathMoved).
// Part of class Gateway (gateway.hpp).
#include "gateway.hpp"

#include <algorithm>

#include <glib.h>

#include "glare_backoff.hpp"
#include "sofia.hpp"

#include "sip_stack.hpp"
#include "sylkcore/log.hpp"

#include "gateway_detail.hpp"

namespace sylk::sip {

using namespace gateway_detail;

namespace {

void refuse(nua_handle_s* handle, const std::string& callId, const std::string& why) {
    SYLK_LOG(LOG_INFO, kPackage, "re-INVITE of call %s refused: %s", callId.c_str(), why.c_str());
    std::string warning = "399 sylk \"" + why + "\"";
    nua_respond(handle, 488, sip_488_Not_acceptable, SIPTAG_WARNING_STR(warning.c_str()), TAG_END());
}

}  // namespace

bool Gateway::onChatReInvite(GatewaySession& session, const std::string& offer) {
    SipCall& call = session.call;
    if (!call.chatOnly && call.chatSession.empty() && !call.msrpOffer)
        return false;  // a plain audio call (one whose chat was refused or dropped stays here: its
                       // answer keeps the offer's m=message lines, with port 0)
    std::vector<SdpMediaLine> lines;
    std::optional<MsrpOffer> chat;
    std::optional<AudioOffer> audio;
    std::string reason;
    if (offer.empty()) {
        // A re-INVITE without SDP: our 200 offers what the call has, in its order.
        if (!call.chatOnly) {
            lines.push_back(SdpMediaLine{"audio", "RTP/AVP", ""});
            audio = call.peer;
            audio->index = 0;
        }
        if (!call.chatSession.empty()) {
            chat = MsrpOffer{};
            chat->index = static_cast<int>(lines.size());
            chat->path = call.chatPeerPath;
            chat->direction = answerDirection(call.chatAnswer.direction);
            lines.push_back(SdpMediaLine{"message", call.chatAnswer.secure ? "TCP/TLS/MSRP" : "TCP/MSRP", "*"});
        }
    } else {
        lines = mediaLines(offer);
        chat = chooseMessage(offer, &reason);
        if (!call.chatOnly) {
            audio = chooseAudio(offer, &reason);
            if (!audio) {
                refuse(call.handle, call.callId, "the call's audio cannot be removed: " + reason);
                return true;
            }
        }
    }
    if (chat && chat->fileTransfer()) {
        refuse(call.handle, call.callId, "a chat stream cannot become a file transfer");
        return true;
    }
    if (call.chatOnly && !chat) {
        refuse(call.handle, call.callId, "the chat stream of a chat call cannot be removed (BYE ends it)");
        return true;
    }
    if (chat && !call.chatSession.empty() && chat->path != call.chatPeerPath) {
        refuse(call.handle, call.callId, "the chat stream's a=path cannot change (a new MSRP session)");
        return true;
    }
    if (!chat && !call.chatSession.empty()) {
        // The peer dropped the chat of an audio call: the audio goes on.
        closeChat(session);
        emit(session, result("chatclosed"));
    }
    AnswerStreams streams;
    streams.offered = lines;
    if (audio) {
        bool wasHeld = call.remoteHold;
        if (!offer.empty())
            startMedia(session, *audio);
        if (wasHeld != call.remoteHold)
            emit(session, result(call.remoteHold ? "remote_hold" : "remote_resume"));
        std::string direction = call.localHold ? "sendonly" : answerDirection(call.peer.direction);
        if (call.localHold && call.remoteHold)
            direction = "inactive";
        auto bridge = session.bridge();
        streams.audio = &*audio;
        streams.audioPort = bridge ? bridge->localPort() : 9;
        streams.audioDirection = direction;
        streams.localKey = call.localKey;
    }
    MsrpAnswer ours = call.chatAnswer;
    if (chat && !call.chatSession.empty()) {
        // Same session, same path: our side as it was; only the direction follows the offer's.
        ours.direction = answerDirection(chat->direction);
        streams.msrp = &ours;
        streams.msrpIndex = chat->index;
    }
    std::string ip = audio ? stack_.ip(call.mediaListenerOr()) : ours.host;
    std::string sdp = buildStreamsAnswer(ip, sessionIds_, call.sdpVersion++, streams);
    call.localSdp = sdp;
    nua_respond(call.handle, 200, sip_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp.c_str()),
                TAG_END());
    return true;
}

void Gateway::onChatPathMoved(GatewaySession& session, const hub::MsrpPathChange& change) {
    SipCall& call = session.call;
    if (change.session != call.chatSession)
        return;  // an earlier session of this room, closed since
    if (call.state != CallState::Established) {
        // Still being set up (our offer awaits its answer): not told now; the peer learns the
        // path at the next refresh's re-INVITE (until then it may be sending to the old one).
        SYLK_LOG(LOG_INFO, kPackage, "chat of call %s moved to a new MSRP path before it was established: not re-INVITEd",
                 call.callId.c_str());
        return;
    }
    // Our last SDP with the new a=path: the re-INVITE changes nothing else (RFC 4976 §4: the
    // peer must send to the path we announce now; the old one ends with the relay's grant).
    auto sdp = withMessagePath(call.localSdp, change.path, call.sdpVersion);
    if (!sdp) {
        SYLK_LOG(LOG_WARN, kPackage, "chat of call %s moved to a new MSRP path, but our SDP has no m=message to move",
                 call.callId.c_str());
        return;
    }
    ++call.sdpVersion;
    call.localSdp = *sdp;
    call.chatAnswer.path = change.path;  // answers to the peer's re-INVITEs repeat it
    SYLK_LOG(LOG_INFO, kPackage, "re-INVITE of call %s: its chat's MSRP path is now %s", call.callId.c_str(),
             change.path.front().c_str());
    call.repathRetried = false;  // a new path: its own 491 retry, the old path's is moot
    repathRetries_.erase(std::remove_if(repathRetries_.begin(), repathRetries_.end(),
                                        [&call](const auto& retry) { return retry.first == call.handle; }),
                         repathRetries_.end());
    sendRepath(call);
}

void Gateway::sendRepath(SipCall& call) {
    // Its answer comes to onInviteResponse: onRepathRefused, then a refusal ends a chat-only
    // call (the peer will not send where we can still be reached).
    call.repathing = true;
    nua_invite(call.handle, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(call.localSdp.c_str()),
               TAG_END());
}

void Gateway::retryRepaths() {
    if (repathRetries_.empty())
        return;
    const int64_t now = g_get_monotonic_time();
    std::vector<std::pair<nua_handle_s*, int64_t>> waiting;
    for (const auto& [handle, at] : repathRetries_) {
        auto session = sessionOf(handle);
        if (!session || session->call.handle != handle || session->call.state != CallState::Established ||
            session->call.chatSession.empty())
            continue;  // the call or its chat ended meanwhile
        if (at > now) {
            waiting.emplace_back(handle, at);
            continue;
        }
        SYLK_LOG(LOG_INFO, kPackage, "re-INVITE of call %s with its chat's new MSRP path, again after 491",
                 session->call.callId.c_str());
        sendRepath(session->call);  // the same offer: the refused one changed nothing
    }
    repathRetries_.swap(waiting);
}

bool Gateway::onRepathRefused(GatewaySession& session, int status, const char* phrase) {
    SipCall& call = session.call;
    if (status == 491 && !call.repathRetried) {
        // Glare (our re-INVITE crossed one of the peer's): not a refusal of the path. Once more,
        // after RFC 3261 §14.1's wait; we generated the Call-ID of the calls we placed.
        call.repathRetried = true;
        int64_t wait = glareBackoffUs(!call.incoming);
        SYLK_LOG(LOG_INFO, kPackage, "re-INVITE of call %s with a new MSRP path: 491, again in %lld ms", call.callId.c_str(),
                 static_cast<long long>(wait / 1000));
        repathRetries_.emplace_back(call.handle, g_get_monotonic_time() + wait);
        return true;
    }
    if (call.chatOnly)
        return false;
    // The peer keeps sending to the old path, which dies with the relay's grant: the chat ends
    // now, visibly, and the audio goes on (docs/decisions.md). Our later answers carry the
    // m=message with port 0 (onChatReInvite: no chat session).
    SYLK_LOG(LOG_WARN, kPackage, "the chat of call %s ended: its peer refused the new MSRP path (%d); the audio goes on",
             call.callId.c_str(), status);
    closeChat(session);
    Json event = result("chatclosed");
    event.set("code", status).set("reason", "the peer refused the chat's new MSRP path: " + std::to_string(status) + " " +
                                                (phrase ? phrase : ""));
    emit(session, event);
    return true;
}

}  // namespace sylk::sip
