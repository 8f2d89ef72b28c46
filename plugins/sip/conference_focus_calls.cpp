// Calls into rooms: INVITE, re-INVITE and hold, RTP timeouts, the end of a call, and each call's
// leg in the audio mixer. Part of class ConferenceFocus (conference_focus.hpp).
#include "conference_focus.hpp"

#include <glib.h>

#include <algorithm>

#include "sofia.hpp"

#include "sip_events.hpp"
#include "sip_message.hpp"
#include "sip_sdp.hpp"
#include "sip_stack.hpp"
#include "sylkcore/hub/services.hpp"
#include "sylkcore/hub/service_names.hpp"
#include "sylkcore/log.hpp"
#include "sylkcore/net/srtp_session.hpp"
#include "sylkcore/request_error.hpp"

#include "conference_focus_detail.hpp"

namespace sylk::sip {

using namespace conference_focus_detail;

void ConferenceFocus::onInvite(nua_handle_s* handle, const sip_s* sip) {
    if (auto existing = calls_.find(handle); existing != calls_.end()) {
        onReInvite(handle, existing->second, sip);
        return;
    }
    if (!admitCaller(handle, sip))
        return;
    if (!stack_.takesSdpOffer(handle, sip)) {
        ++callsRefused_;
        return;
    }
    const char* room = sip && sip->sip_request && sip->sip_request->rq_url->url_user ? sip->sip_request->rq_url->url_user : nullptr;
    if (!room || !*room) {
        ++callsRefused_;
        stack_.refuse(handle, 404, sip_404_Not_found, "call a room: sip:room@host");
        return;
    }
    if (redirectToOwner(handle, room))
        return;
    // A room takes audio, chat (MSRP), or both; neither is 488 (SylkServer's behaviour).
    std::string offer = bodyOf(sip);
    if (offer.empty()) {
        ++callsRefused_;
        stack_.refuse(handle, 488, sip_488_Not_acceptable, "an SDP offer is needed");
        return;
    }
    std::string reason, chatReason;
    auto audio = chooseAudio(offer, &reason);
    auto chat = chooseMessage(offer, &chatReason);
    Call call;
    call.lines = mediaLines(offer);
    bool chatOffered = std::any_of(call.lines.begin(), call.lines.end(), [](const SdpMediaLine& line) { return line.type == "message"; });
    if (!audio && !chat) {
        ++callsRefused_;
        stack_.refuse(handle, 488, sip_488_Not_acceptable, quotable(chatOffered ? reason + "; " + chatReason : reason));
        return;
    }
    call.room = room;
    call.display = displayOf(sip);
    call.uri = fromUri(sip);
    call.callBack = sip->sip_contact ? uriOfHeader(sip->sip_contact->m_url) : "";
    call.callId = callIdOf(sip);
    call.lastPacketUs = g_get_monotonic_time();
    if (audio && !attachAudio(handle, call, *audio))
        return;
    int refusal = 488;
    if (chat && !openChat(call, *chat, &chatReason, &refusal)) {
        if (!call.audio) {
            ++callsRefused_;
            stack_.refuse(handle, refusal, refusal == 404 ? sip_404_Not_found : sip_488_Not_acceptable,
                          quotable("chat: " + chatReason));
            return;
        }
        // Audio goes on; the m=message is answered with port 0.
        SYLK_LOG(LOG_INFO, kPackage, "chat of a call into room %s refused: %s", call.room.c_str(), chatReason.c_str());
    }
    call.sessionId = sessionIds_++;
    call.answer = answerFor(call, "sendrecv");
    std::string contact = stack_.contactFor(call.room, stack_.currentListener()) + ";isfocus";
    nua_respond(handle, 200, sip_200_OK, SIPTAG_CONTACT_STR(contact.c_str()),
                SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(call.answer.c_str()), TAG_END());
    SYLK_LOG(LOG_INFO, kPackage, "call into room %s answered (%s%s)", call.room.c_str(),
             call.audio ? call.media.codec.c_str() : "no audio", call.chatSession.empty() ? "" : ", chat");
    enterRoom(handle, std::move(call));
}

bool ConferenceFocus::attachAudio(nua_handle_s* handle, Call& call, const AudioOffer& audio) {
    call.media = audio;
    Json request = Json::object();
    Json rtp = Json::object();
    rtp.set("ip", audio.address).set("port", audio.port).set("payload_type", audio.payloadType);
    if (audio.srtp()) {
        call.localKey = net::SrtpSession::makeKey();
        Json srtp = Json::object();
        srtp.set("suite", audio.cryptoSuite).set("local_key", call.localKey).set("remote_key", audio.cryptoKey);
        rtp.set("srtp", srtp);
    } else if (!audio.zrtpHash.empty()) {
        // ZRTP runs on the mixer's leg (its socket); it answers with its hello hash.
        Json zrtp = Json::object();
        zrtp.set("hash", audio.zrtpHash).set("self_uri", "sip:" + call.room).set("peer_uri", call.uri);
        rtp.set("zrtp", zrtp);
    }
    request.set("room", call.room).set("display", call.display).set("codec", audio.codec).set("rtp", rtp);
    if (!call.callBack.empty())
        request.set("call_back", call.callBack);
    if (stack_.settings().roomSamplingRate > 0)  // for a room this call opens; an open room keeps its rate
        request.set("sampling_rate", stack_.settings().roomSamplingRate);
    Json leg;
    try {
        leg = hub::Services::instance().call(hub::service::AudioMixerAttachRtp, request);
    } catch (const RequestError& e) {
        ++callsRefused_;
        if (e.code() == ErrorCode::NotFound)
            stack_.refuse(handle, 503, sip_503_Service_unavailable, e.what());
        else if (e.code() == ErrorCode::AudioMixerRoomFull)
            stack_.refuse(handle, 486, sip_486_Busy_here, e.what());
        else
            stack_.refuse(handle, 403, sip_403_Forbidden, e.what());
        return false;
    }
    json_t* legRtp = leg.member("rtp");
    call.audio = true;
    call.legId = static_cast<uint64_t>(json_integer_value(json_object_get(leg.get(), "id")));
    call.memberId = "janus.plugin.sylk.audiomixer/" + std::to_string(call.legId);
    call.answerIp = json_string_value(json_object_get(legRtp, "ip"));
    call.answerPort = static_cast<uint16_t>(json_integer_value(json_object_get(legRtp, "port")));
    if (const char* zrtpHash = json_string_value(json_object_get(legRtp, "zrtp_hash")))
        call.zrtpHash = zrtpHash;
    return true;
}

void ConferenceFocus::enterRoom(nua_handle_s* handle, Call call) {
    watch(call.room);  // its chat goes to the phone as MESSAGE
    reportPhone("joined", call);
    calls_[handle] = std::move(call);
    ++callsAnswered_;
    ++activeCalls_;
}

void ConferenceFocus::reportPhone(const char* event, const Call& call) const {
    if (events_) {
        events_->notify(nullptr, [&] {
            return SipEvents::phone(event, {call.room, call.legId, call.display, call.uri, call.callId,
                                            call.audio ? call.media.codec : "", call.audio && call.media.srtp(),
                                            call.dialOut, !call.chatSession.empty()});
        });
    }
}

void ConferenceFocus::onReInvite(nua_handle_s* handle, Call& call, const sip_s* sip) {
    // A session refresh, or hold/resume: a phone on hold (sendonly, inactive, c=0.0.0.0) leaves
    // the mix until it resumes. The leg's codec and port stay as first agreed. The chat keeps
    // its MSRP session (the same path) while the m=message stays; one removed (gone, or port 0)
    // closes it, one added is opened. Audio added to a chat-only call is refused (port 0).
    std::string offer = bodyOf(sip);
    std::string direction = "sendrecv";
    if (!offer.empty()) {
        std::string reason, chatReason;
        auto audio = chooseAudio(offer, &reason);
        auto chat = chooseMessage(offer, &chatReason);
        if ((call.audio && !audio) || (!call.audio && !chat)) {
            nua_respond(handle, 488, sip_488_Not_acceptable, SIPTAG_WARNING_STR(warningOf(call.audio ? reason : chatReason).c_str()),
                        TAG_END());
            return;
        }
        if (call.audio) {
            if (audio->held() != call.held) {
                call.held = audio->held();
                updateLeg(call, call.held);
                call.lastPacketUs = g_get_monotonic_time();
                SYLK_LOG(LOG_INFO, kPackage, "%s in room %s %s", call.display.c_str(), call.room.c_str(),
                         call.held ? "holds the call" : "resumes the call");
            }
            call.media.index = audio->index;
            direction = answerDirection(audio->direction);
        }
        call.lines = mediaLines(offer);
        call.chatIndex = chat ? chat->index : -1;
        if (!chat && !call.chatSession.empty()) {
            closeChat(call);
        } else if (chat && call.chatSession.empty() && !openChat(call, *chat, &chatReason)) {
            SYLK_LOG(LOG_INFO, kPackage, "chat added to a call in room %s refused: %s", call.room.c_str(), chatReason.c_str());
        }
    }
    ++call.version;
    call.answer = answerFor(call, direction);
    nua_respond(handle, 200, sip_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(call.answer.c_str()),
                TAG_END());
}

std::string ConferenceFocus::answerFor(const Call& call, const std::string& audioDirection) const {
    if (call.lines.empty())  // a dial-out: we offered audio alone
        return buildAnswer(call.answerIp, call.answerPort, call.media, call.sessionId, call.version, audioDirection,
                           call.localKey, call.zrtpHash);
    AnswerStreams streams;
    streams.offered = call.lines;
    if (call.audio) {
        streams.audio = &call.media;
        streams.audioPort = call.answerPort;
        streams.audioDirection = audioDirection;
        streams.localKey = call.localKey;
        streams.zrtpHash = call.zrtpHash;
    }
    if (!call.chatSession.empty()) {
        streams.msrpIndex = call.chatIndex;
        streams.msrp = &call.chat;
    }
    return buildStreamsAnswer(call.audio ? call.answerIp : call.chat.host, call.sessionId, call.version, streams);
}

Json ConferenceFocus::updateLeg(const Call& call, std::optional<bool> hold) {
    try {
        Json request = Json::object();
        request.set("room", call.room).set("id", static_cast<json_int_t>(call.legId));
        if (hold)
            request.setBool("hold", *hold);
        return hub::Services::instance().call(hub::service::AudioMixerUpdateRtp, request);
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_VERB, kPackage, "updating the leg in room %s: %s", call.room.c_str(), e.what());
        return Json();
    }
}

void ConferenceFocus::checkRtpTimeouts() {
    int timeout = stack_.settings().rtpTimeoutSeconds;
    if (timeout <= 0)
        return;
    int64_t now = g_get_monotonic_time();
    for (auto& [handle, call] : calls_) {
        if (call.held || !call.audio)
            continue;
        Json leg = updateLeg(call, std::nullopt);
        json_t* packets = leg.member("packets_in");
        if (!json_is_integer(packets))
            continue;
        if (json_integer_value(packets) != call.packetsIn) {
            call.packetsIn = json_integer_value(packets);
            call.lastPacketUs = now;
        } else if (now - call.lastPacketUs > static_cast<int64_t>(timeout) * G_USEC_PER_SEC && !call.timedOut) {
            SYLK_LOG(LOG_INFO, kPackage, "%s in room %s: no RTP for %d s, hanging up", call.display.c_str(),
                     call.room.c_str(), timeout);
            call.timedOut = true;
            nua_bye(handle, SIPTAG_REASON_STR("SIP;cause=408;text=\"RTP timeout\""), TAG_END());
        }
    }
}

void ConferenceFocus::endCall(nua_handle_s* handle) {
    auto call = calls_.find(handle);
    if (call == calls_.end())
        return;
    reportPhone("left", call->second);  // with its streams as they were
    closeChat(call->second);
    if (call->second.audio) {
        try {
            Json request = Json::object();
            request.set("room", call->second.room).set("id", static_cast<json_int_t>(call->second.legId));
            hub::Services::instance().call(hub::service::AudioMixerDetachRtp, request);
        } catch (const std::exception& e) {
            SYLK_LOG(LOG_VERB, kPackage, "leaving room %s: %s", call->second.room.c_str(), e.what());
        }
    }
    std::string room = call->second.room;
    calls_.erase(call);
    --activeCalls_;
    stack_.retire(handle);
    unwatchIfUnused(room);
}

}  // namespace sylk::sip
