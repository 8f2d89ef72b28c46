// REFER to a room (RFC 4579): the room dials a phone in (method=INVITE) or removes a participant
// (method=BYE), reporting to the referrer as sipfrag NOTIFYs. Part of class ConferenceFocus
// (conference_focus.hpp).
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
#include "sylkcore/request_error.hpp"
#include "sylkcore/request_reader.hpp"

#include "conference_focus_detail.hpp"
#include "gateway_detail.hpp"  // hostIsName

namespace sylk::sip {

using namespace conference_focus_detail;

// ---------------------------------------------------------------- REFER (RFC 4579)

namespace {

// "user@host" of a URI text, to compare participants regardless of port and parameters.
std::string userAtHost(const std::string& uri) {
    size_t scheme = uri.find(':');
    std::string rest = scheme == std::string::npos ? uri : uri.substr(scheme + 1);
    size_t end = rest.find_first_of(":;>?");
    return rest.substr(0, end);
}

}  // namespace

std::string ConferenceFocus::roomContact(const std::string& room) const {
    return stack_.contactFor(room, stack_.currentListener());
}

void ConferenceFocus::onRefer(nua_handle_s* handle, const sip_s* sip) {
    std::string room = requestUser(sip);
    if (room.empty() || !sip->sip_refer_to) {
        stack_.refuse(handle, 400, sip_400_Bad_request, "REFER to a room needs a Refer-To");
        return;
    }
    // Who may make the room call out: trusted addresses, and the room's own participants.
    std::string source = sip->sip_via ? (sip->sip_via->v_received ? sip->sip_via->v_received : sip->sip_via->v_host) : "";
    std::string referrer = userAtHost(fromUri(sip));
    const auto& trusted = stack_.settings().trustedPeers;
    bool allowed = std::find(trusted.begin(), trusted.end(), source) != trusted.end();
    for (const auto& [callHandle, call] : calls_)
        allowed = allowed || (call.room == room && userAtHost(call.uri) == referrer);
    if (!allowed) {
        stack_.refuse(handle, 403, sip_403_Forbidden, "only the room's participants and trusted peers may refer");
        return;
    }
    char method[16] = "INVITE";
    url_param(sip->sip_refer_to->r_url->url_params, "method", method, sizeof(method));
    // The target without its method parameter: what we call, or whom we remove.
    url_t target = *sip->sip_refer_to->r_url;
    target.url_params = nullptr;
    target.url_headers = nullptr;
    char buffer[512];
    int length = url_e(buffer, sizeof(buffer), &target);
    if (length <= 0 || static_cast<size_t>(length) >= sizeof(buffer)) {
        stack_.refuse(handle, 400, sip_400_Bad_request, "Refer-To is not a usable URI");
        return;
    }
    std::string targetUri(buffer, static_cast<size_t>(length));
    if (g_ascii_strcasecmp(method, "BYE") == 0) {
        for (const auto& [callHandle, call] : calls_) {
            if (call.room == room && userAtHost(call.uri) == userAtHost(targetUri)) {
                nua_respond(handle, 202, sip_202_Accepted, NUTAG_WITH_THIS(stack_.nua()), SIPTAG_CONTACT_STR(roomContact(room).c_str()),
                            TAG_END());
                nua_bye(callHandle, TAG_END());
                // On the next tick, after the 202 this callback queues.
                referResults_.push_back({handle, "SIP/2.0 200 OK\r\n"});
                SYLK_LOG(LOG_INFO, kPackage, "%s removed from room %s by REFER", call.display.c_str(), room.c_str());
                return;
            }
        }
        stack_.refuse(handle, 404, sip_404_Not_found, "no such participant in the room");
        return;
    }
    if (g_ascii_strcasecmp(method, "INVITE") != 0) {
        stack_.refuse(handle, 501, sip_501_Not_implemented, "REFER to a room takes method INVITE or BYE");
        return;
    }
    nua_respond(handle, 202, sip_202_Accepted, NUTAG_WITH_THIS(stack_.nua()), SIPTAG_CONTACT_STR(roomContact(room).c_str()),
                            TAG_END());
    dialOut(handle, room, targetUri, fromUri(sip), displayOf(sip), DialProgress{});
}

void ConferenceFocus::pushInvitation(const std::string& room, const std::string& target, const std::string& inviter,
                                     const std::string& inviterDisplay, int listener) {
    if (!push_)
        return;
    push::PushEvent event;
    event.kind = push::PushEvent::Kind::ConferenceInvite;
    event.to = "sip:" + room + "@" + stack_.hostPort(listener);  // the conference to join (Sylk Pushserver's to_uri)
    event.callId = event.to;
    event.from = inviter.empty() ? event.to : inviter;
    event.fromDisplay = inviterDisplay;
    std::string account = userAtHost(target);
    try {  // queued to the push service's threads; an account without tokens gets nothing
        push_->notify(account, event);
    } catch (const std::exception& e) {  // the registry's database: the invitation goes on regardless
        SYLK_LOG(LOG_ERR, kPackage, "conference invitation push for %s: %s", account.c_str(), e.what());
    }
}

void ConferenceFocus::dialOut(nua_handle_s* refer, const std::string& room, const std::string& target,
                              const std::string& inviter, const std::string& inviterDisplay, const DialProgress& progress,
                              int chosenListener) {
    // The leg comes first so that the offer can name its port; its peer is known from the answer.
    // Dial-outs offer PCMU (every phone has it): the mixer's leg is made for one codec.
    AudioOffer media;
    media.codec = "pcmu";
    media.payloadType = 0;
    media.telephoneEventPt = 101;
    Call call;
    call.room = room;
    call.uri = target;
    std::string userHost = userAtHost(target);
    call.display = userHost.substr(0, userHost.find('@'));
    call.media = media;
    const int listener = chosenListener >= 0 ? chosenListener : stack_.listenerFor(target);
    try {
        Json request = Json::object();
        Json rtp = Json::object();
        rtp.set("ip", stack_.ip(listener)).set("port", 9).set("payload_type", 0);  // discard, until answered
        request.set("room", room).set("display", call.display).set("codec", "pcmu").set("rtp", rtp).set("call_back", target);
        Json leg = hub::Services::instance().call(hub::service::AudioMixerAttachRtp, request);
        json_t* legRtp = leg.member("rtp");
        call.audio = true;
        call.legId = static_cast<uint64_t>(json_integer_value(json_object_get(leg.get(), "id")));
        call.memberId = "janus.plugin.sylk.audiomixer/" + std::to_string(call.legId);
        call.answerIp = json_string_value(json_object_get(legRtp, "ip"));
        call.answerPort = static_cast<uint16_t>(json_integer_value(json_object_get(legRtp, "port")));
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_WARN, kPackage, "cannot invite %s into room %s: %s", target.c_str(), room.c_str(), e.what());
        reportDial(progress, "failed", 503, "the room has no audio mixer");
        if (!refer)
            return;  // an invitation through the hub (sip.focus.invite): nobody to tell
        nua_notify(refer, NUTAG_SUBSTATE(nua_substate_terminated), SIPTAG_EVENT_STR("refer"),
                   SIPTAG_CONTENT_TYPE_STR("message/sipfrag;version=2.0"),
                   SIPTAG_PAYLOAD_STR("SIP/2.0 503 Service Unavailable\r\n"), TAG_END());
        stack_.retire(refer, 32);
        return;
    }
    call.sessionId = sessionIds_++;
    call.answer = buildAnswer(call.answerIp, call.answerPort, media, call.sessionId, call.version);
    call.lastPacketUs = g_get_monotonic_time();
    std::string from = "<sip:" + room + "@" + stack_.hostPort(listener) + ">";
    std::string contact = stack_.contactFor(room, listener) + ";isfocus";
    nua_handle_s* handle = nua_handle(stack_.nua(listener), nullptr, SIPTAG_TO_STR(target.c_str()), SIPTAG_FROM_STR(from.c_str()),
                                      TAG_END());
    stack_.adopt(handle);
    nua_invite(handle, SIPTAG_CONTACT_STR(contact.c_str()),
               SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(call.answer.c_str()), TAG_END());
    dialOuts_[handle] = DialOut{std::move(call), refer, progress, listener, chosenListener >= 0};
    SYLK_LOG(LOG_INFO, kPackage, "room %s invites %s (%s)", room.c_str(), target.c_str(), refer ? "REFER" : "hub");
    if (chosenListener < 0)
        pushInvitation(room, target, inviter, inviterDisplay, listener);
    if (!handle)
        onDialOutResponse(handle, 500, nullptr);
}

bool ConferenceFocus::dialOutOnOtherFamily(nua_handle_s* handle, int status, const sip_s* sip) {
    auto found = dialOuts_.find(handle);
    // Sofia's resolver failing on the stack's family comes as its own 503 "DNS Error".
    const char* phrase = sip && sip->sip_status ? sip->sip_status->st_phrase : nullptr;
    if (status != 503 || (sip && (!phrase || std::string(phrase) != "DNS Error")) || stack_.listeners() < 2 ||
        found->second.otherFamily || !gateway_detail::hostIsName(found->second.call.uri))
        return false;
    DialOut failed = std::move(found->second);
    dialOuts_.erase(found);
    stack_.retire(handle);
    Json request = Json::object();  // the mixer's leg was made on the first listener's address
    request.set("room", failed.call.room).set("id", static_cast<json_int_t>(failed.call.legId));
    try {
        hub::Services::instance().call(hub::service::AudioMixerDetachRtp, request);
    } catch (const std::exception&) {
    }
    SYLK_LOG(LOG_INFO, kPackage, "room %s invites %s again from %s (the name has no address of the other family)",
             failed.call.room.c_str(), failed.call.uri.c_str(), stack_.ip(failed.listener == 0 ? 1 : 0).c_str());
    dialOut(failed.refer, failed.call.room, failed.call.uri, "", "", failed.progress, failed.listener == 0 ? 1 : 0);
    return true;
}

void ConferenceFocus::onDialOutResponse(nua_handle_s* handle, int status, const sip_s* sip) {
    if (dialOutOnOtherFamily(handle, status, sip))
        return;
    auto found = dialOuts_.find(handle);
    // The referrer hears how the invitation goes (RFC 3515): each response as a sipfrag NOTIFY,
    // the final one ending the implicit subscription.
    std::string fragment = "SIP/2.0 " + std::to_string(status) + " " +
                           (sip && sip->sip_status && sip->sip_status->st_phrase ? sip->sip_status->st_phrase : "") + "\r\n";
    if (found->second.refer && status >= 100 && status < 700)
        nua_notify(found->second.refer, NUTAG_SUBSTATE(status < 200 ? nua_substate_active : nua_substate_terminated),
                   SIPTAG_EVENT_STR("refer"), SIPTAG_CONTENT_TYPE_STR("message/sipfrag;version=2.0"),
                   SIPTAG_PAYLOAD_STR(fragment.c_str()), TAG_END());
    if (status > 100 && status < 200)
        reportDial(found->second.progress, "ringing", status);
    if (status < 200)
        return;
    DialOut dialOut = std::move(found->second);
    dialOuts_.erase(found);
    if (dialOut.refer)
        stack_.retire(dialOut.refer, 32);
    Call& call = dialOut.call;
    std::string reason;
    std::string answer = bodyOf(sip);
    auto audio = status < 300 && !answer.empty() ? chooseAudio(answer, &reason) : std::nullopt;
    if (audio && audio->codec != "pcmu") {
        audio.reset();
        reason = "the answer is not PCMU";
    }
    if (!audio) {
        if (status < 300)
            nua_bye(handle, TAG_END());
        Json request = Json::object();
        request.set("room", call.room).set("id", static_cast<json_int_t>(call.legId));
        try {
            hub::Services::instance().call(hub::service::AudioMixerDetachRtp, request);
        } catch (const std::exception&) {
        }
        if (status >= 300)
            stack_.retire(handle);
        SYLK_LOG(LOG_INFO, kPackage, "%s did not join room %s: %d %s", call.uri.c_str(), call.room.c_str(), status,
                 reason.c_str());
        std::string phrase = sip && sip->sip_status && sip->sip_status->st_phrase ? sip->sip_status->st_phrase : "";
        reportDial(dialOut.progress, "failed", status, reason.empty() ? phrase : reason);
        return;
    }
    Json request = Json::object();
    Json rtp = Json::object();
    rtp.set("ip", audio->address).set("port", audio->port);
    request.set("room", call.room).set("id", static_cast<json_int_t>(call.legId)).set("rtp", rtp);
    hub::Services::instance().call(hub::service::AudioMixerUpdateRtp, request);
    call.media.address = audio->address;
    call.media.port = audio->port;
    call.callId = callIdOf(sip);
    call.dialOut = true;
    enterRoom(handle, std::move(call));
    reportDial(dialOut.progress, "answered", status);
}

void ConferenceFocus::reportDial(const DialProgress& progress, const char* state, int status, const std::string& reason) {
    if (progress.service.empty())
        return;
    Json report = Json::object();
    report.set("token", progress.token).set("state", state).set("status", static_cast<json_int_t>(status));
    if (!reason.empty())
        report.set("reason", reason.substr(0, 256));
    try {  // the asker's plugin only queues it: the SIP thread does not wait on it
        hub::Services::instance().call(progress.service, report);
    } catch (const std::exception& e) {  // gone (shut down): the call goes on regardless
        SYLK_LOG(LOG_WARN, kPackage, "dial progress to %s: %s", progress.service.c_str(), e.what());
    }
}

// ---------------------------------------------------------------- kicks through the hub

void ConferenceFocus::queueKick(const std::string& room, const hub::KickOrder& order) {
    std::lock_guard lock(changedMutex_);
    if (kicks_.size() < 1000)  // a stalled SIP thread must not grow this without bound
        kicks_.emplace_back(room, order);
}

void ConferenceFocus::kickCall(const std::string& room, const hub::KickOrder& order) {
    for (auto& [handle, call] : calls_) {
        if (call.room != room || call.memberId != order.target)
            continue;
        // RFC 3326 Reason; the kicker's name and reason stay out of the header (free text from
        // another protocol), the log has them.
        nua_bye(handle, SIPTAG_REASON_STR("SIP;cause=403;text=\"removed by a moderator\""), TAG_END());
        SYLK_LOG(LOG_INFO, kPackage, "%s removed from room %s by moderator %s", call.display.c_str(), room.c_str(),
                 order.display.c_str());
        return;
    }
    // A phone the room is still calling (its mixer leg, hence its member, exists from the start):
    // the call is cancelled; its final response detaches the leg (onDialOutResponse).
    for (auto& [handle, dialOut] : dialOuts_) {
        if (dialOut.call.room == room && dialOut.call.memberId == order.target) {
            nua_cancel(handle, TAG_END());
            SYLK_LOG(LOG_INFO, kPackage, "call to %s for room %s cancelled by moderator %s", dialOut.call.uri.c_str(),
                     room.c_str(), order.display.c_str());
            return;
        }
    }
}

// ---------------------------------------------------------------- invitations through the hub

Json ConferenceFocus::queueInvite(const Json& request) {
    RequestReader reader(request.get());
    std::string room = reader.requireString("room", 256);
    std::string uri = reader.requireString("uri", 512);
    std::string display = reader.optionalString("display", 256).value_or("");
    DialProgress progress;
    progress.token = reader.optionalInt("token", 0, (json_int_t(1) << 53) - 1).value_or(0);
    progress.service = reader.optionalString("progress", 128).value_or("");
    reader.rejectUnknownFields();
    if (room.empty())
        throw RequestError(ErrorCode::InvalidField, "field 'room' must not be empty");
    bool sip = uri.rfind("sip:", 0) == 0 || uri.rfind("sips:", 0) == 0;
    if (!sip || uri.find('@') == std::string::npos || uri.find_first_of(" <>\"\r\n") != std::string::npos)
        throw RequestError(ErrorCode::InvalidField, "field 'uri' must be a SIP URI of a user (sip:user@host)");
    {
        std::lock_guard lock(changedMutex_);
        if (invites_.size() >= 100)
            throw RequestError(ErrorCode::InvalidField, "too many invitations waiting: try again");
        invites_.push_back({room, uri, display, progress});
    }
    return Json::object().setBool("queued", true);
}

}  // namespace sylk::sip
