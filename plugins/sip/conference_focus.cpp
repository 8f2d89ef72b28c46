#include "conference_focus.hpp"

#include <gio/gio.h>
#include <glib.h>

#include <algorithm>
#include <cctype>

#include "sofia.hpp"

#include "conference_info.hpp"
#include "cpim.hpp"
#include "sip_events.hpp"
#include "sip_message.hpp"
#include "sip_sdp.hpp"
#include "sip_stack.hpp"
#include "sylkcore/hub/events.hpp"
#include "sylkcore/hub/hub.hpp"
#include "sylkcore/hub/services.hpp"
#include "sylkcore/log.hpp"
#include "sylkcore/net/srtp_session.hpp"
#include "sylkcore/request_error.hpp"

namespace sylk::sip {
namespace {

constexpr const char* kPackage = "janus.plugin.sylk.sip";

// "janus.plugin.sylk.videoroom/42" -> "urn:sylk:janus.plugin.sylk.videoroom:42": a URI for a
// participant that has no SIP address.
std::string memberUri(const std::string& memberId) {
    std::string uri = "urn:sylk:";
    for (char c : memberId)
        uri += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ? c : ':';
    return uri;
}

}  // namespace

struct ConferenceFocus::Watcher : hub::RoomListener {
    Watcher(ConferenceFocus& focus, std::string room) : focus(focus), room(std::move(room)) {}
    void onRoomEvent(const hub::RoomEvent& event) override {
        // Posted on the poster's thread: the SIP thread picks it up on its next tick. Nothing
        // may escape to the poster.
        try {
            if (event.kind == hub::kind::Joined || event.kind == hub::kind::Left || event.kind == hub::kind::Updated) {
                focus.markChanged(room);
            } else if (event.kind == hub::kind::Chat) {
                hub::ChatMessage message = hub::readChat(event);
                // Phones get the room's plain-text messages; private ones are for their recipient.
                if (!message.isPrivate() && message.contentType.rfind("text/plain", 0) == 0)
                    focus.queueChat(room, event.member, message.senderName(event), message.text);
            }
        } catch (const hub::InvalidHubEvent& e) {
            SYLK_LOG(LOG_WARN, kPackage, "room %s: dropped %s", room.c_str(), e.what());
        }
    }
    ConferenceFocus& focus;
    std::string room;
};

ConferenceFocus::ConferenceFocus(SipStack& stack) : stack_(stack), nonceKey_(net::SrtpSession::makeKey()) {}

// ---------------------------------------------------------------- who may call rooms

namespace {

bool inRanges(const std::string& address, const std::vector<std::string>& ranges) {
    GInetAddress* source = g_inet_address_new_from_string(address.c_str());
    if (!source)
        return false;
    bool found = false;
    for (const auto& range : ranges) {
        if (GInetAddressMask* mask = g_inet_address_mask_new_from_string(range.c_str(), nullptr)) {
            found = found || g_inet_address_mask_matches(mask, source);
            g_object_unref(mask);
        }
    }
    g_object_unref(source);
    return found;
}

std::string md5(const std::string& text) {
    gchar* digest = g_compute_checksum_for_string(G_CHECKSUM_MD5, text.c_str(), -1);
    std::string hex = digest;
    g_free(digest);
    return hex;
}

std::string unquote(const char* value) {
    std::string text = value ? value : "";
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
        text = text.substr(1, text.size() - 2);
    return text;
}

}  // namespace

std::string ConferenceFocus::makeNonce() const {
    // "<seconds>-<HMAC of them>": verifiable later without remembering it.
    std::string stamp = std::to_string(g_get_real_time() / G_USEC_PER_SEC);
    gchar* mac = g_compute_hmac_for_string(G_CHECKSUM_SHA256, reinterpret_cast<const guchar*>(nonceKey_.data()),
                                           nonceKey_.size(), stamp.c_str(), -1);
    std::string nonce = stamp + "-" + std::string(mac).substr(0, 32);
    g_free(mac);
    return nonce;
}

bool ConferenceFocus::nonceFresh(const std::string& nonce) const {
    size_t dash = nonce.find('-');
    if (dash == std::string::npos || dash == 0 || dash > 12)
        return false;
    std::string stamp = nonce.substr(0, dash);
    for (char c : stamp) {
        if (!g_ascii_isdigit(c))
            return false;
    }
    gchar* mac = g_compute_hmac_for_string(G_CHECKSUM_SHA256, reinterpret_cast<const guchar*>(nonceKey_.data()),
                                           nonceKey_.size(), stamp.c_str(), -1);
    bool genuine = nonce.substr(dash + 1) == std::string(mac).substr(0, 32);
    g_free(mac);
    int64_t age = g_get_real_time() / G_USEC_PER_SEC - std::stoll(stamp);
    return genuine && age >= 0 && age < 300;
}

bool ConferenceFocus::admitCaller(nua_handle_s* handle, const sip_s* sip) {
    const SipSettings& settings = stack_.settings();
    if (!settings.roomCallers.empty() && !inRanges(sourceAddress(sip), settings.roomCallers)) {
        ++callsRefused_;
        stack_.refuse(handle, 403, sip_403_Forbidden, "this address may not call rooms");
        return false;
    }
    if (settings.roomSecret.empty())
        return true;
    // RFC 3261 digest (MD5, no qop): any user name, the room secret as password.
    const msg_auth_t* credentials = sip->sip_authorization;
    if (credentials && credentials->au_scheme && g_ascii_strcasecmp(credentials->au_scheme, "Digest") == 0) {
        std::string user = unquote(msg_params_find(credentials->au_params, "username="));
        std::string realm = unquote(msg_params_find(credentials->au_params, "realm="));
        std::string nonce = unquote(msg_params_find(credentials->au_params, "nonce="));
        std::string uri = unquote(msg_params_find(credentials->au_params, "uri="));
        std::string response = unquote(msg_params_find(credentials->au_params, "response="));
        const char* method = sip->sip_request ? sip->sip_request->rq_method_name : "INVITE";
        std::string expected = md5(md5(user + ":" + settings.roomRealm + ":" + settings.roomSecret) + ":" + nonce + ":" +
                                   md5(std::string(method) + ":" + uri));
        if (realm == settings.roomRealm && nonceFresh(nonce)) {
            if (g_ascii_strcasecmp(response.c_str(), expected.c_str()) == 0)
                return true;
            ++callsRefused_;
            stack_.refuse(handle, 403, sip_403_Forbidden, "wrong credentials");
            return false;
        }
    }
    std::string challenge = "Digest realm=\"" + settings.roomRealm + "\", nonce=\"" + makeNonce() + "\", algorithm=MD5";
    nua_respond(handle, 401, sip_401_Unauthorized, NUTAG_WITH_THIS(stack_.nua()),
                SIPTAG_WWW_AUTHENTICATE_STR(challenge.c_str()), TAG_END());
    stack_.retire(handle);
    return false;
}

Json ConferenceFocus::status() const {
    Json json = Json::object();
    json.set("active_calls", activeCalls_.load())
        .set("calls_answered", static_cast<json_int_t>(callsAnswered_.load()))
        .set("calls_refused", static_cast<json_int_t>(callsRefused_.load()));
    return json;
}

void ConferenceFocus::onEvent(int event, int status, const char* phrase, nua_handle_s* handle, const sip_s* sip,
                              const void* tags) {
    switch (event) {
    case nua_i_invite:
        onInvite(handle, sip);
        break;
    case nua_i_message:
        onMessage(handle, sip);
        break;
    case nua_i_subscribe:
        onSubscribe(handle, sip);
        break;
    case nua_i_refer:
        onRefer(handle, sip);
        break;
    case nua_r_invite:
        if (dialOuts_.count(handle))
            onDialOutResponse(handle, status, sip);
        break;
    case nua_i_info:
        // Phones send DTMF as INFO in conferences too: taken, nothing to press here.
        nua_respond(handle, 200, sip_200_OK, NUTAG_WITH_THIS(stack_.nua()), TAG_END());
        if (!holds(handle))  // out of a call: the request's own handle
            stack_.retire(handle);
        break;
    case nua_i_state: {
        // Ended one way or another (BYE, CANCEL, no ACK): leave the room.
        int state = nua_callstate_init;
        tl_gets(static_cast<const tagi_t*>(tags), NUTAG_CALLSTATE_REF(state), TAG_END());
        if (state == nua_callstate_terminated)
            endCall(handle);
        break;
    }
    case nua_i_terminated:
    case nua_i_bye:
        endCall(handle);
        break;
    case nua_r_notify:
        if (auto gone = subscriptions_.find(handle); status >= 300 && gone != subscriptions_.end()) {
            std::string room = gone->second.room;  // the subscriber is gone
            subscriptions_.erase(gone);
            stack_.retire(handle);
            unwatchIfUnused(room);
        }
        break;
    default:
        if (status >= 300)
            SYLK_LOG(LOG_VERB, kPackage, "%s: %d %s", nua_event_name(static_cast<nua_event_t>(event)), status, phrase ? phrase : "");
        // A request nobody here takes (OPTIONS, which Sofia has answered, PUBLISH, ...) came
        // with a handle of its own: Sofia keeps it until it is destroyed, so it goes now
        // (else every OPTIONS ping leaked one).
        if (SipStack::isIncomingRequest(event) && !holds(handle))
            stack_.retire(handle);
        break;
    }
}

bool ConferenceFocus::holds(nua_handle_s* handle) const {
    if (calls_.count(handle) || subscriptions_.count(handle) || dialOuts_.count(handle))
        return true;
    for (const auto& [dialOut, entry] : dialOuts_) {
        if (entry.refer == handle)
            return true;
    }
    return std::any_of(referResults_.begin(), referResults_.end(), [&](const auto& result) { return result.first == handle; });
}

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
    std::string reason;
    std::string offer = bodyOf(sip);
    auto audio = offer.empty() ? std::nullopt : chooseAudio(offer, &reason);
    if (!audio) {
        ++callsRefused_;
        stack_.refuse(handle, 488, sip_488_Not_acceptable, offer.empty() ? "an SDP offer is needed" : reason);
        return;
    }
    Call call;
    call.room = room;
    call.display = displayOf(sip);
    call.uri = fromUri(sip);
    call.callId = callIdOf(sip);
    call.media = *audio;
    call.lastPacketUs = g_get_monotonic_time();
    Json request = Json::object();
    Json rtp = Json::object();
    rtp.set("ip", audio->address).set("port", audio->port).set("payload_type", audio->payloadType);
    if (audio->srtp()) {
        call.localKey = net::SrtpSession::makeKey();
        Json srtp = Json::object();
        srtp.set("suite", audio->cryptoSuite).set("local_key", call.localKey).set("remote_key", audio->cryptoKey);
        rtp.set("srtp", srtp);
    }
    request.set("room", call.room).set("display", call.display).set("codec", audio->codec).set("rtp", rtp);
    if (stack_.settings().roomSamplingRate > 0)  // for a room this call opens; an open room keeps its rate
        request.set("sampling_rate", stack_.settings().roomSamplingRate);
    Json leg;
    try {
        leg = hub::Services::instance().call("audiomixer.attach_rtp", request);
    } catch (const RequestError& e) {
        ++callsRefused_;
        if (e.code() == ErrorCode::NotFound)
            stack_.refuse(handle, 503, sip_503_Service_unavailable, e.what());
        else if (e.code() == ErrorCode::AudioMixerRoomFull)
            stack_.refuse(handle, 486, sip_486_Busy_here, e.what());
        else
            stack_.refuse(handle, 403, sip_403_Forbidden, e.what());
        return;
    }
    json_t* legRtp = leg.member("rtp");
    call.legId = static_cast<uint64_t>(json_integer_value(json_object_get(leg.get(), "id")));
    call.memberId = "janus.plugin.sylk.audiomixer/" + std::to_string(call.legId);
    call.answerIp = json_string_value(json_object_get(legRtp, "ip"));
    call.answerPort = static_cast<uint16_t>(json_integer_value(json_object_get(legRtp, "port")));
    call.sessionId = sessionIds_++;
    call.answer = buildAnswer(call.answerIp, call.answerPort, *audio, call.sessionId, call.version, "sendrecv", call.localKey);
    std::string contact = stack_.contactFor(call.room, stack_.currentListener()) + ";isfocus";
    nua_respond(handle, 200, sip_200_OK, SIPTAG_CONTACT_STR(contact.c_str()),
                SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(call.answer.c_str()), TAG_END());
    SYLK_LOG(LOG_INFO, kPackage, "call into room %s answered (%s)", call.room.c_str(), audio->codec.c_str());
    watch(call.room);  // its chat goes to the phone as MESSAGE
    if (events_) {
        events_->notify(nullptr, [&] {
            return SipEvents::phone("joined", {call.room, call.legId, call.display, call.uri, call.callId, call.media.codec,
                                              call.media.srtp(), call.dialOut});
        });
    }
    calls_[handle] = std::move(call);
    ++callsAnswered_;
    ++activeCalls_;
}

void ConferenceFocus::onReInvite(nua_handle_s* handle, Call& call, const sip_s* sip) {
    // A session refresh, or hold/resume: a phone on hold (sendonly, inactive, c=0.0.0.0) leaves
    // the mix until it resumes. The leg's codec and port stay as first agreed.
    std::string offer = bodyOf(sip);
    std::string direction = "sendrecv";
    if (!offer.empty()) {
        std::string reason;
        auto audio = chooseAudio(offer, &reason);
        if (!audio) {
            nua_respond(handle, 488, sip_488_Not_acceptable, TAG_END());
            return;
        }
        if (audio->held() != call.held) {
            call.held = audio->held();
            updateLeg(call, call.held);
            call.lastPacketUs = g_get_monotonic_time();
            SYLK_LOG(LOG_INFO, kPackage, "%s in room %s %s", call.display.c_str(), call.room.c_str(),
                     call.held ? "holds the call" : "resumes the call");
        }
        direction = answerDirection(audio->direction);
    }
    call.answer = buildAnswer(call.answerIp, call.answerPort, call.media, call.sessionId, ++call.version, direction,
                              call.localKey);
    nua_respond(handle, 200, sip_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(call.answer.c_str()),
                TAG_END());
}

Json ConferenceFocus::updateLeg(const Call& call, std::optional<bool> hold) {
    try {
        Json request = Json::object();
        request.set("room", call.room).set("id", static_cast<json_int_t>(call.legId));
        if (hold)
            request.setBool("hold", *hold);
        return hub::Services::instance().call("audiomixer.update_rtp", request);
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
        if (call.held)
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

void ConferenceFocus::onMessage(nua_handle_s* handle, const sip_s* sip) {
    auto call = calls_.find(handle);
    if (call == calls_.end()) {
        // Out of a call: rooms take chat only from their participants (SylkServer answers 405).
        stack_.refuse(handle, 405, sip_405_Method_not_allowed, "MESSAGE to a room is taken only within a call");
        return;
    }
    std::string text = bodyOf(sip);
    if (contentTypeOf(sip) == "message/cpim") {
        std::string reason;
        auto cpim = parseCpim(text, &reason);
        if (!cpim || cpim->contentType.rfind("text/plain", 0) != 0) {
            nua_respond(handle, 415, sip_415_Unsupported_media, NUTAG_WITH_THIS(stack_.nua()),
                        SIPTAG_ACCEPT_STR("text/plain, message/cpim"), TAG_END());
            return;
        }
        text = cpim->body;
    } else if (!contentTypeOf(sip).empty() && contentTypeOf(sip) != "text/plain") {
        nua_respond(handle, 415, sip_415_Unsupported_media, NUTAG_WITH_THIS(stack_.nua()),
                    SIPTAG_ACCEPT_STR("text/plain, message/cpim"), TAG_END());
        return;
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
        text.pop_back();  // line endings some phones add to the body are not part of the message
    if (text.empty() || text.size() > 16 * 1024) {
        nua_respond(handle, text.empty() ? 400 : 413, text.empty() ? sip_400_Bad_request : sip_413_Request_too_large,
                    NUTAG_WITH_THIS(stack_.nua()), TAG_END());
        return;
    }
    // Room chat is JSON text: bytes that are not UTF-8 (a phone's Latin-1) would reach nobody
    // while the phone got 200, so the phone is told instead.
    if (!g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr)) {
        nua_respond(handle, 400, sip_400_Bad_request, NUTAG_WITH_THIS(stack_.nua()),
                    SIPTAG_WARNING_STR("399 sylk \"the text must be UTF-8\""), TAG_END());
        return;
    }
    if (auto room = hub::Hub::instance().find(call->second.room)) {
        hub::ChatMessage message;
        message.id = hub::newMessageId();
        message.display = call->second.display;
        message.uri = call->second.uri;
        message.text = text;
        message.timestamp = hub::nowMs();
        room->post(kPackage, call->second.memberId, hub::chat(message));
    }
    nua_respond(handle, 200, sip_200_OK, NUTAG_WITH_THIS(stack_.nua()), TAG_END());
}

void ConferenceFocus::endCall(nua_handle_s* handle) {
    auto call = calls_.find(handle);
    if (call == calls_.end())
        return;
    try {
        Json request = Json::object();
        request.set("room", call->second.room).set("id", static_cast<json_int_t>(call->second.legId));
        hub::Services::instance().call("audiomixer.detach_rtp", request);
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_VERB, kPackage, "leaving room %s: %s", call->second.room.c_str(), e.what());
    }
    if (events_) {
        events_->notify(nullptr, [&] {
            return SipEvents::phone("left", {call->second.room, call->second.legId, call->second.display, call->second.uri, call->second.callId, call->second.media.codec,
                                              call->second.media.srtp(), call->second.dialOut});
        });
    }
    std::string room = call->second.room;
    calls_.erase(call);
    --activeCalls_;
    stack_.retire(handle);
    unwatchIfUnused(room);
}

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
    dialOut(handle, room, targetUri);
}

void ConferenceFocus::dialOut(nua_handle_s* refer, const std::string& room, const std::string& target) {
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
    const int listener = stack_.listenerFor(target);
    try {
        Json request = Json::object();
        Json rtp = Json::object();
        rtp.set("ip", stack_.ip(listener)).set("port", 9).set("payload_type", 0);  // discard, until answered
        request.set("room", room).set("display", call.display).set("codec", "pcmu").set("rtp", rtp);
        Json leg = hub::Services::instance().call("audiomixer.attach_rtp", request);
        json_t* legRtp = leg.member("rtp");
        call.legId = static_cast<uint64_t>(json_integer_value(json_object_get(leg.get(), "id")));
        call.memberId = "janus.plugin.sylk.audiomixer/" + std::to_string(call.legId);
        call.answerIp = json_string_value(json_object_get(legRtp, "ip"));
        call.answerPort = static_cast<uint16_t>(json_integer_value(json_object_get(legRtp, "port")));
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_WARN, kPackage, "cannot invite %s into room %s: %s", target.c_str(), room.c_str(), e.what());
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
    dialOuts_[handle] = DialOut{std::move(call), refer};
    SYLK_LOG(LOG_INFO, kPackage, "room %s invites %s (REFER)", room.c_str(), target.c_str());
    if (!handle)
        onDialOutResponse(handle, 500, nullptr);
}

void ConferenceFocus::onDialOutResponse(nua_handle_s* handle, int status, const sip_s* sip) {
    auto found = dialOuts_.find(handle);
    // The referrer hears how the invitation goes (RFC 3515): each response as a sipfrag NOTIFY,
    // the final one ending the implicit subscription.
    std::string fragment = "SIP/2.0 " + std::to_string(status) + " " +
                           (sip && sip->sip_status && sip->sip_status->st_phrase ? sip->sip_status->st_phrase : "") + "\r\n";
    if (status >= 100 && status < 700)
        nua_notify(found->second.refer, NUTAG_SUBSTATE(status < 200 ? nua_substate_active : nua_substate_terminated),
                   SIPTAG_EVENT_STR("refer"), SIPTAG_CONTENT_TYPE_STR("message/sipfrag;version=2.0"),
                   SIPTAG_PAYLOAD_STR(fragment.c_str()), TAG_END());
    if (status < 200)
        return;
    DialOut dialOut = std::move(found->second);
    dialOuts_.erase(found);
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
            hub::Services::instance().call("audiomixer.detach_rtp", request);
        } catch (const std::exception&) {
        }
        if (status >= 300)
            stack_.retire(handle);
        SYLK_LOG(LOG_INFO, kPackage, "%s did not join room %s: %d %s", call.uri.c_str(), call.room.c_str(), status,
                 reason.c_str());
        return;
    }
    Json request = Json::object();
    Json rtp = Json::object();
    rtp.set("ip", audio->address).set("port", audio->port);
    request.set("room", call.room).set("id", static_cast<json_int_t>(call.legId)).set("rtp", rtp);
    hub::Services::instance().call("audiomixer.update_rtp", request);
    call.media.address = audio->address;
    call.media.port = audio->port;
    call.callId = callIdOf(sip);
    call.dialOut = true;
    watch(call.room);
    if (events_) {
        events_->notify(nullptr, [&] {
            return SipEvents::phone("joined", {call.room, call.legId, call.display, call.uri, call.callId, call.media.codec,
                                              call.media.srtp(), call.dialOut});
        });
    }
    calls_[handle] = std::move(call);
    ++callsAnswered_;
    ++activeCalls_;
}

// ---------------------------------------------------------------- conference event package

void ConferenceFocus::markChanged(const std::string& room) {
    std::lock_guard lock(changedMutex_);
    changed_.insert(room);
}

void ConferenceFocus::watch(const std::string& room) {
    auto current = hub::Hub::instance().open(room);
    auto& entry = watches_[room];
    if (entry.room == current)
        return;
    entry.room = current;
    entry.listener = std::make_shared<Watcher>(*this, room);
    entry.subscription = current->subscribe(entry.listener);
}

void ConferenceFocus::unwatchIfUnused(const std::string& room) {
    for (const auto& [handle, call] : calls_) {
        if (call.room == room)
            return;
    }
    for (const auto& [handle, subscription] : subscriptions_) {
        if (subscription.room == room)
            return;
    }
    if (watches_.erase(room))
        hub::Hub::instance().closeIfIdle(room);  // the mixer closed its room while we still watched it
}

void ConferenceFocus::onSubscribe(nua_handle_s* handle, const sip_s* sip) {
    if (!subscriptions_.count(handle) && !admitCaller(handle, sip))
        return;  // a room's roster is for those who may call it
    std::string room = requestUser(sip);
    if (room.empty()) {
        stack_.refuse(handle, 404, sip_404_Not_found, "subscribe to a room: sip:room@host");
        return;
    }
    bool ending = sip && sip->sip_expires && sip->sip_expires->ex_delta == 0;
    auto& subscription = subscriptions_.try_emplace(handle, ConferenceSubscription{room, 0}).first->second;
    subscription.ending = ending;
    if (!ending)
        watch(room);
    // Our Contact in the room's name, plain sip: (Sofia would otherwise pick its sips: one).
    nua_respond(handle, ending ? 200 : 202, ending ? sip_200_OK : sip_202_Accepted, NUTAG_WITH_THIS(stack_.nua()),
                SIPTAG_CONTACT_STR(roomContact(room).c_str()), TAG_END());
    // The NOTIFY goes out on the next tick, after Sofia has sent the 202 that this callback
    // queues: a NOTIFY ahead of its 202 confuses subscribers (sipp among them).
    markChanged(room);
}

void ConferenceFocus::notify(nua_handle_s* handle, ConferenceSubscription& subscription, bool terminate) {
    std::vector<ConferenceUser> users;
    if (auto room = hub::Hub::instance().find(subscription.room)) {
        for (const auto& member : room->members()) {
            ConferenceUser user;
            user.display = member.display;
            user.entity = memberUri(member.id);
            for (const auto& [callHandle, call] : calls_) {
                if (call.memberId == member.id && !call.uri.empty())
                    user.entity = call.uri;  // a phone: its own SIP address
            }
            user.media = {"audio"};
            if (member.plugin.find("videoroom") != std::string::npos)
                user.media.push_back("video");
            // RFC 4575: muted by the focus is an endpoint status; muted by oneself leaves the
            // audio recvonly; hold is its own status.
            if (member.onHold)
                user.status = "on-hold";
            else if (member.mutedByModerator)
                user.status = "muted-via-focus";
            user.audioMuted = member.muted;
            users.push_back(std::move(user));
        }
    }
    std::string entity = "sip:" + subscription.room + "@" + stack_.hostPort();
    std::string xml = conferenceInfoXml(entity, subscription.room, ++subscription.version, users);
    nua_notify(handle, NUTAG_SUBSTATE(terminate ? nua_substate_terminated : nua_substate_active),
               SIPTAG_EVENT_STR("conference"),
               SIPTAG_CONTENT_TYPE_STR("application/conference-info+xml"), SIPTAG_PAYLOAD_STR(xml.c_str()), TAG_END());
}

void ConferenceFocus::queueChat(const std::string& room, const std::string& member, const std::string& display,
                                const std::string& text) {
    std::lock_guard lock(changedMutex_);
    if (chats_.size() < 1000)  // a stalled SIP thread must not grow this without bound
        chats_.push_back({room, member, display, text});
}

void ConferenceFocus::deliverChat(const std::string& room, const std::string& member, const std::string& display,
                                  const std::string& text) {
    std::string name;
    for (char c : display) {
        if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20)
            name += c;
    }
    std::string sender = memberUri(member);
    for (const auto& [handle, call] : calls_) {
        if (call.room == room && call.memberId == member)
            sender = call.uri;
    }
    for (const auto& [handle, call] : calls_) {
        if (call.room != room || call.memberId == member)
            continue;  // not in this room, or the phone's own message coming back
        CpimMessage message;
        message.from = "\"" + name + "\" <" + sender + ">";
        message.to = "<" + (call.uri.empty() ? "sip:phone@invalid" : call.uri) + ">";
        message.dateTime = cpimNow();
        message.contentType = "text/plain;charset=utf-8";
        message.body = text;
        std::string body = buildCpim(message);
        nua_message(handle, SIPTAG_CONTENT_TYPE_STR("message/cpim"), SIPTAG_PAYLOAD_STR(body.c_str()), TAG_END());
    }
}

void ConferenceFocus::onTick() {
    std::set<std::string> changed;
    std::vector<QueuedChat> chats;
    {
        std::lock_guard lock(changedMutex_);
        changed.swap(changed_);
        chats.swap(chats_);
    }
    for (const auto& chat : chats)
        deliverChat(chat.room, chat.member, chat.display, chat.text);
    for (const auto& [refer, fragment] : referResults_) {
        nua_notify(refer, NUTAG_SUBSTATE(nua_substate_terminated), SIPTAG_EVENT_STR("refer"),
                   SIPTAG_CONTENT_TYPE_STR("message/sipfrag;version=2.0"), SIPTAG_PAYLOAD_STR(fragment.c_str()), TAG_END());
        stack_.retire(refer, 32);
    }
    referResults_.clear();
    if (++ticks_ % 10 == 0)  // once a second
        checkRtpTimeouts();
    // A room the hub closed and opened again is a new object: follow it, and count it as changed.
    for (auto& [room, watchEntry] : watches_) {
        auto current = hub::Hub::instance().find(room);
        if (current && current != watchEntry.room) {
            watch(room);
            changed.insert(room);
        }
    }
    if (changed.empty())
        return;
    std::vector<std::string> unsubscribed;
    for (auto entry = subscriptions_.begin(); entry != subscriptions_.end();) {
        if (!changed.count(entry->second.room)) {
            ++entry;
            continue;
        }
        notify(entry->first, entry->second, entry->second.ending);
        if (entry->second.ending) {
            stack_.retire(entry->first);
            unsubscribed.push_back(entry->second.room);
            entry = subscriptions_.erase(entry);
        } else {
            ++entry;
        }
    }
    for (const auto& room : unsubscribed)
        unwatchIfUnused(room);
}

}  // namespace sylk::sip
