// A call's chat: its MSRP stream (RFC 4975 m=message) handed to the msrp plugin through the hub
// services msrp.open_session and msrp.close_session, as its audio is handed to the mixer. The
// SIP side only negotiates: the msrp plugin owns the connection and the room's chat switch.
// When that plugin moves a session to a new path (its relay's Use-Path changed at a refresh),
// the call is re-INVITEd with it (repathChat).
// Part of class ConferenceFocus (conference_focus.hpp).
#include "conference_focus.hpp"

#include <algorithm>

#include <glib.h>

#include "glare_backoff.hpp"
#include "sip_sdp.hpp"
#include "sip_stack.hpp"
#include "sofia.hpp"
#include "sylkcore/hub/events.hpp"
#include "sylkcore/hub/hub.hpp"
#include "sylkcore/hub/services.hpp"
#include "sylkcore/hub/service_names.hpp"
#include "sylkcore/log.hpp"
#include "sylkcore/error_code.hpp"
#include "sylkcore/request_error.hpp"

#include "conference_focus_detail.hpp"
#include "msrp_answer.hpp"

namespace sylk::sip {

using namespace conference_focus_detail;

bool ConferenceFocus::openChat(Call& call, const MsrpOffer& offer, std::string* reason, int* refusal) {
    Json remote = Json::object();
    remote.set("path", Json::stringArray(offer.path))
        .set("accept_types", Json::stringArray(offer.acceptTypes))
        .set("accept_wrapped_types", Json::stringArray(offer.acceptWrappedTypes));
    if (!offer.fingerprint.empty())
        remote.set("fingerprint", offer.fingerprint);
    Json request = Json::object();
    request.set("room", call.room)
        .set("uri", call.uri)
        .set("display", call.display)
        .set("role", msrpAnswerRole(offer.setup))
        .set("remote", remote);
    if (call.audio)  // chat is posted as the call's audio member: one participant, not two
        request.set("member", call.memberId);
    if (offer.fileTransfer()) {
        Json file = Json::object();
        file.set("selector", *offer.fileSelector).set("direction", offer.direction);
        if (offer.fileTransferId)
            file.set("transfer_id", *offer.fileTransferId);
        request.set("file", file);
    }
    Json reply;
    if (refusal)
        *refusal = 488;
    try {
        reply = hub::Services::instance().call(hub::service::MsrpOpenSession, request);
    } catch (const RequestError& e) {
        *reason = e.what();
        if (refusal && e.code() == ErrorCode::MsrpNoSuchFile)
            *refusal = 404;  // RFC 5547 §8.2: a pull of a file that is not there
        return false;
    } catch (const std::exception& e) {
        *reason = e.what();
        return false;
    }
    // What the msrp plugin answered becomes our m=message; a reply we cannot write is a refusal.
    MsrpAnswer answer;
    std::string session, member;
    bool complete = readMsrpAnswer(reply, &session, &member, &answer);
    if (!complete) {
        SYLK_LOG(LOG_WARN, kPackage, "msrp.open_session for room %s gave an incomplete answer", call.room.c_str());
        if (!session.empty()) {
            call.chatSession = session;
            closeChat(call);
        }
        *reason = "the msrp plugin's answer was incomplete";
        return false;
    }
    answer.direction = answerDirection(offer.direction);
    // RFC 5547: the answer repeats the offer's selector (a file pushed to us), or describes the
    // file we send (a pull); the msrp plugin says which in its "file".
    std::string selector = jsonString(reply.member("file"), "selector");
    answer.fileSelector = offer.fileTransfer() && !selector.empty() ? std::optional<std::string>(selector) : offer.fileSelector;
    answer.fileTransferId = offer.fileTransferId;
    call.chatSession = session;
    call.chat = std::move(answer);
    call.chatIndex = offer.index;
    if (!call.audio) {  // a chat-only call is in the room as the msrp plugin's member
        call.memberId = member.empty() ? "janus.plugin.sylk.msrp/" + session : member;
    }
    return true;
}

void ConferenceFocus::closeChat(Call& call) {
    if (call.chatSession.empty())
        return;
    closeMsrpSession(call.chatSession, "the chat of a call in room " + call.room);
    call.chatSession.clear();
    call.chatIndex = -1;
}

void ConferenceFocus::queuePathChange(hub::MsrpPathChange change) {
    std::lock_guard lock(changedMutex_);
    if (pathChanges_.size() < 1000)  // a stalled SIP thread must not grow this without bound
        pathChanges_.push_back(std::move(change));
}

void ConferenceFocus::repathChat(const hub::MsrpPathChange& change) {
    for (auto& [handle, call] : calls_) {
        if (call.chatSession != change.session)
            continue;
        // Our last SDP with the new a=path, nothing else changed (RFC 4976: the peer sends to
        // the path we announce now; the old one ends with the relay's grant).
        auto sdp = withMessagePath(call.answer, change.path, call.version + 1);
        if (!sdp) {
            SYLK_LOG(LOG_WARN, kPackage, "the chat of a call in room %s moved to a new MSRP path, but our SDP has no m=message",
                     call.room.c_str());
            return;
        }
        ++call.version;
        call.answer = *sdp;
        call.chat.path = change.path;  // answers to the phone's re-INVITEs repeat it
        SYLK_LOG(LOG_INFO, kPackage, "re-INVITE of a call in room %s: its chat's MSRP path is now %s", call.room.c_str(),
                 change.path.front().c_str());
        call.repathRetried = false;  // a new path: its own 491 retry, the old path's is moot
        repathRetries_.erase(std::remove_if(repathRetries_.begin(), repathRetries_.end(),
                                            [handle = handle](const auto& retry) { return retry.first == handle; }),
                             repathRetries_.end());
        sendRepath(handle, call);
        return;
    }
}

void ConferenceFocus::sendRepath(nua_handle_s* handle, Call& call) {
    call.repathing = true;  // its answer: onRepathAnswer
    nua_invite(handle, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(call.answer.c_str()), TAG_END());
}

void ConferenceFocus::retryRepaths() {
    if (repathRetries_.empty())
        return;
    const int64_t now = g_get_monotonic_time();
    std::vector<std::pair<nua_handle_s*, int64_t>> waiting;
    for (const auto& [handle, at] : repathRetries_) {
        auto call = calls_.find(handle);
        if (call == calls_.end() || call->second.chatSession.empty())
            continue;  // the call or its chat ended meanwhile
        if (at > now) {
            waiting.emplace_back(handle, at);
            continue;
        }
        SYLK_LOG(LOG_INFO, kPackage, "re-INVITE of a call in room %s with its chat's new MSRP path, again after 491",
                 call->second.room.c_str());
        sendRepath(handle, call->second);  // the same offer: the refused one changed nothing
    }
    repathRetries_.swap(waiting);
}

void ConferenceFocus::onRepathAnswer(nua_handle_s* handle, Call& call, int status, const char* phrase) {
    const bool repath = call.repathing;
    call.repathing = false;
    if (status < 300)
        return;
    SYLK_LOG(LOG_WARN, kPackage, "re-INVITE of a call in room %s refused: %d %s", call.room.c_str(), status,
             phrase ? phrase : "");
    if (!repath)
        return;  // a hold or refresh of ours: the call stays as it was
    if (status == 491 && !call.repathRetried) {
        // Glare (our re-INVITE crossed one of the peer's): not a refusal of the path. Once more,
        // after RFC 3261 §14.1's wait; the focus generated the Call-ID of its dial-outs only.
        call.repathRetried = true;
        int64_t wait = glareBackoffUs(call.dialOut);
        SYLK_LOG(LOG_INFO, kPackage, "re-INVITE of a call in room %s with a new MSRP path: 491, again in %lld ms",
                 call.room.c_str(), static_cast<long long>(wait / 1000));
        repathRetries_.emplace_back(handle, g_get_monotonic_time() + wait);
        return;
    }
    if (call.audio) {
        dropChat(call, status);
        return;
    }
    // A chat-only call (or a file transfer) whose peer will not send to the only path we can
    // still be reached on: it is over. Ended now, with the reason, rather than left to fail
    // silently when the old grant ends; the BYE's end leaves the room as any other.
    SYLK_LOG(LOG_WARN, kPackage, "call %s in room %s ended: its peer refused the new MSRP path (%d)", call.callId.c_str(),
             call.room.c_str(), status);
    std::string reason = "SIP;cause=" + std::to_string(status) + ";text=\"new MSRP path refused\"";
    nua_bye(handle, SIPTAG_REASON_STR(reason.c_str()), TAG_END());
}

void ConferenceFocus::dropChat(Call& call, int status) {
    // Its peer keeps sending to the old path, which dies with the relay's grant: the chat is
    // over now, visibly, and the audio goes on (docs/decisions.md). A later re-INVITE of the
    // phone that offers the chat again opens a new session (onReInvite), as for chat added.
    SYLK_LOG(LOG_WARN, kPackage, "the chat of call %s in room %s ended: its peer refused the new MSRP path (%d); the audio goes on",
             call.callId.c_str(), call.room.c_str(), status);
    closeChat(call);
    reportPhone("updated", call);  // the phone's streams, chat now false
    markChanged(call.room);        // conference-info: the participant's media without "message"
    if (auto room = hub::Hub::instance().find(call.room)) {
        hub::ChatMessage notice;
        notice.id = hub::newMessageId();
        notice.display = call.room;  // from the room itself, as the msrp plugin's notices are
        notice.uri = "sip:" + call.room + "@" + stack_.hostPort();
        notice.text = (call.display.empty() ? call.uri : call.display) +
                      "'s chat ended: the new MSRP path was refused (" + std::to_string(status) + "); the call goes on";
        notice.timestamp = hub::nowMs();
        room->post(kPackage, std::string(kPackage) + "/focus", hub::chat(notice));
    }
}

}  // namespace sylk::sip
