#include "sip_applications.hpp"

#include <glib.h>

#include <algorithm>
#include <stdexcept>

#include "sofia.hpp"

#include "audio_clip.hpp"
#include "conference_focus_detail.hpp"
#include "echo_leg.hpp"
#include "gateway_chat_link.hpp"
#include "imdn.hpp"
#include "msrp_answer.hpp"
#include "playback_leg.hpp"
#include "sip_message.hpp"
#include "sip_stack.hpp"
#include "sylkcore/audio/codec.hpp"
#include "sylkcore/cpim/cpim.hpp"
#include "sylkcore/hub/services.hpp"
#include "sylkcore/hub/service_names.hpp"
#include "sylkcore/log.hpp"

namespace sylk::sip {

namespace {

constexpr const char* kPackage = "janus.plugin.sylk.sip";
constexpr size_t kMaxText = 16 * 1024;

bool isIpv6(const std::string& address) { return address.find(':') != std::string::npos; }

// The text quoted as a mail reply quotes: each line after "> ".
std::string quoted(const std::string& text) {
    std::string out = "> ";
    for (char c : text) {
        out += c;
        if (c == '\n')
            out += "> ";
    }
    return out;
}

}  // namespace

SipApplications::SipApplications(SipStack& stack, const SipApplicationSettings& settings)
    : stack_(stack), echoUris_(settings.echoUris) {
    for (const auto& [uri, path] : settings.playbackUris)
        playbacks_.emplace_back(uri, std::make_shared<AudioClip>(path));
    media_ = std::make_unique<net::StackThread>("sylk-sip-apps");
}

SipApplications::~SipApplications() {
    calls_.clear();  // the legs stop before their thread does
    media_.reset();
}

Json SipApplications::status() const {
    Json json = Json::object();
    json.set("echo_calls", static_cast<json_int_t>(echoCalls_.load()))
        .set("playback_calls", static_cast<json_int_t>(playbackCalls_.load()))
        .set("messages_answered", static_cast<json_int_t>(messagesAnswered_.load()));
    return json;
}

std::string SipApplications::applicationFor(const sip_s* sip) const {
    if (!sip || !sip->sip_request || !sip->sip_request->rq_url->url_user)
        return "";
    std::string user = sip->sip_request->rq_url->url_user;
    std::string host = sip->sip_request->rq_url->url_host ? sip->sip_request->rq_url->url_host : "";
    auto matches = [&](const std::string& entry) {
        auto at = entry.find('@');
        if (at == std::string::npos)
            return entry == user;
        return entry.substr(0, at) == user && g_ascii_strcasecmp(entry.substr(at + 1).c_str(), host.c_str()) == 0;
    };
    if (std::any_of(echoUris_.begin(), echoUris_.end(), matches))
        return "echo";
    for (size_t i = 0; i < playbacks_.size(); ++i) {
        if (matches(playbacks_[i].first))
            return "playback:" + std::to_string(i);
    }
    return "";
}

bool SipApplications::claims(int event, nua_handle_s* handle, const sip_s* sip) {
    if (calls_.count(handle) || sent_.count(handle))
        return true;
    return (event == nua_i_invite || event == nua_i_message) && !applicationFor(sip).empty();
}

void SipApplications::onEvent(int event, int status, const char* phrase, nua_handle_s* handle, const sip_s* sip,
                              const void* tags) {
    switch (event) {
    case nua_i_invite:
        onInvite(handle, sip);
        break;
    case nua_i_message:
        onMessage(handle, sip);
        break;
    case nua_i_state: {
        int state = nua_callstate_init;
        tl_gets(static_cast<const tagi_t*>(tags), NUTAG_CALLSTATE_REF(state), TAG_END());
        onCallState(handle, state);
        break;
    }
    case nua_r_message:
        if (status >= 200 && sent_.erase(handle)) {
            if (status >= 300)
                SYLK_LOG(LOG_VERB, kPackage, "echo reply refused: %d %s", status, phrase ? phrase : "");
            if (!calls_.count(handle))
                stack_.retire(handle);
        }
        break;
    case nua_i_terminated:
        endCall(handle);
        break;
    default:
        if (SipStack::isIncomingRequest(event) && !calls_.count(handle)) {
            nua_respond(handle, 405, sip_405_Method_not_allowed, NUTAG_WITH_THIS(stack_.nua()), TAG_END());
            stack_.retire(handle);
        }
        break;
    }
}

void SipApplications::onInvite(nua_handle_s* handle, const sip_s* sip) {
    if (auto existing = calls_.find(handle); existing != calls_.end()) {
        // A re-INVITE (a session refresh, hold): the same answer; the media goes on as it was.
        nua_respond(handle, 200, sip_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
                    SIPTAG_PAYLOAD_STR(existing->second.answer.c_str()), TAG_END());
        return;
    }
    std::string application = applicationFor(sip);
    if (!stack_.takesSdpOffer(handle, sip))
        return;
    std::string offer = bodyOf(sip);
    std::string reason = "an SDP offer is needed";
    auto audio = offer.empty() ? std::nullopt : chooseAudio(offer, &reason);
    // The echo takes a chat stream too (alone or next to audio); a file transfer is no chat.
    std::optional<MsrpOffer> chat;
    if (application == "echo" && !offer.empty()) {
        std::string whyNot;
        chat = chooseMessage(offer, &whyNot);
        if (chat && chat->fileTransfer())
            chat.reset();
    }
    if (!audio && !chat) {
        stack_.refuse(handle, 488, sip_488_Not_acceptable, conference_focus_detail::quotable(reason));
        return;
    }
    // The media socket follows the SDP's address family, not the signalling's: an IPv4 call may
    // carry IPv6 media and the other way round when both listeners exist.
    int listener = audio ? -1 : stack_.currentListener();
    for (int i = 0; audio && i < stack_.listeners(); ++i) {
        if (isIpv6(stack_.ip(i)) == isIpv6(audio->address))
            listener = i;
    }
    if (listener < 0) {
        stack_.refuse(handle, 488, sip_488_Not_acceptable, "no media address of the offer's family");
        return;
    }
    Call call;
    call.application = application.substr(0, application.find(':'));
    call.serial = ++serials_;
    call.uri = toUri(sip);
    call.peerUri = fromUri(sip);
    uint16_t port = 0;
    std::string localKey;  // SDES-SRTP (RFC 4568) as the gateway answers it: our key, the offer's suite
    if (audio) {
        auto codec = audio::codecFromName(audio->codec);
        try {
            std::unique_ptr<net::SrtpSession> srtp;
            if (audio->srtp()) {
                localKey = net::SrtpSession::makeKey();
                srtp = std::make_unique<net::SrtpSession>(audio->cryptoSuite, localKey, audio->cryptoKey);
            }
            if (application == "echo") {
                call.echo = std::make_unique<EchoLeg>(*media_, stack_.ip(listener), audio->address, audio->port,
                                                      std::move(srtp));
                port = call.echo->localPort();
            } else {
                const auto& clip = *playbacks_.at(std::stoul(application.substr(application.find(':') + 1))).second;
                call.playback = std::make_unique<PlaybackLeg>(clip, *codec, audio->payloadType, stack_.ip(listener),
                                                              audio->address, audio->port, std::move(srtp));
                port = call.playback->localPort();
            }
        } catch (const std::exception& e) {
            SYLK_LOG(LOG_ERR, kPackage, "%s call: %s", application.c_str(), e.what());
            stack_.refuse(handle, 500, sip_500_Internal_server_error, "no media socket");
            return;
        }
    }
    MsrpAnswer chatAnswer;
    bool chatOpen = chat && openChat(handle, call, *chat, callIdOf(sip), &chatAnswer);
    if (!audio && !chatOpen) {
        stack_.refuse(handle, 488, sip_488_Not_acceptable, "the chat could not be opened");
        return;
    }
    ++(call.playback ? playbackCalls_ : echoCalls_);
    AnswerStreams streams;
    streams.offered = mediaLines(offer);
    if (audio) {
        streams.audio = &*audio;
        streams.audioPort = port;
        streams.localKey = localKey;
    }
    if (chatOpen) {
        streams.msrpIndex = chat->index;
        streams.msrp = &chatAnswer;
    }
    call.answer = buildStreamsAnswer(audio ? stack_.ip(listener) : chatAnswer.host, sessionIds_++, 1, streams);
    std::string contact = stack_.contactFor(requestUser(sip), stack_.currentListener());
    nua_respond(handle, 200, sip_200_OK, SIPTAG_CONTACT_STR(contact.c_str()), SIPTAG_CONTENT_TYPE_STR("application/sdp"),
                SIPTAG_PAYLOAD_STR(call.answer.c_str()), TAG_END());
    SYLK_LOG(LOG_INFO, kPackage, "%s call answered (%s%s)", application.c_str(), audio ? audio->codec.c_str() : "",
             chatOpen ? (audio ? " and chat" : "chat") : "");
    calls_.emplace(handle, std::move(call));
}

bool SipApplications::openChat(nua_handle_s* handle, Call& call, const MsrpOffer& offer, const std::string& callId,
                               MsrpAnswer* answer) {
    // A private hub room as the gateway's 1:1 chats have (docs/msrp-api.md, direct mode): the
    // peer's messages come to it unparsed and what we post there is sent to the peer.
    std::string room = "direct/" + call.application + "/" + callId;
    auto link = std::make_shared<GatewayChatLink>(room, std::string(kPackage) + "/" + call.application,
                                                  [this, handle, serial = call.serial](hub::DirectMessage message) {
        // On the msrp plugin's thread: to ours.
        stack_.post([this, handle, serial, message = std::move(message)] { onChatMessage(handle, serial, message); });
    });
    link->start();  // listening before the session exists: nothing the peer sends is missed
    Json remote = Json::object();
    remote.set("path", Json::stringArray(offer.path))
        .set("accept_types", Json::stringArray(offer.acceptTypes))
        .set("accept_wrapped_types", Json::stringArray(offer.acceptWrappedTypes));
    if (!offer.fingerprint.empty())
        remote.set("fingerprint", offer.fingerprint);
    Json request = Json::object();
    request.set("room", room)
        .set("mode", "direct")
        .set("uri", call.peerUri)
        .set("role", msrpAnswerRole(offer.setup))
        .set("remote", remote);
    std::string session, member;
    std::string reason;
    try {
        Json reply = hub::Services::instance().call(hub::service::MsrpOpenSession, request);
        if (!readMsrpAnswer(reply, &session, &member, answer))
            reason = "the msrp plugin's answer was incomplete";
    } catch (const std::exception& e) {
        reason = e.what();
    }
    if (!reason.empty()) {
        SYLK_LOG(LOG_WARN, kPackage, "echo chat of call %s: %s", callId.c_str(), reason.c_str());
        if (!session.empty())
            closeMsrpSession(session, "the echo chat of call " + callId);
        return false;
    }
    answer->direction = answerDirection(offer.direction);
    call.chatSession = session;
    call.chat = std::move(link);
    return true;
}

void SipApplications::onChatMessage(nua_handle_s* handle, uint64_t serial, const hub::DirectMessage& message) {
    auto it = calls_.find(handle);
    if (it == calls_.end() || it->second.serial != serial || !it->second.chat)
        return;  // the call is gone, or another one has its handle
    Call& call = it->second;
    std::string type = message.contentType.substr(0, message.contentType.find(';'));
    for (auto& c : type)
        c = static_cast<char>(g_ascii_tolower(c));
    // Only text comes back: is-composing and IMDNs are taken and not answered (they would loop).
    if (type.rfind("text/", 0) == 0) {
        ++messagesAnswered_;
        call.chat->send(message.contentType, message.body);
        return;
    }
    if (type != "message/cpim")
        return;
    auto cpim = cpim::parseCpim(message.body);
    if (!cpim || cpim->contentType.rfind("text/", 0) != 0)
        return;
    ++messagesAnswered_;
    std::string echo = "<" + call.uri + ">";
    if (auto delivered = imdnReply(*cpim, "delivered", echo))
        call.chat->send("message/cpim", cpim::buildCpim(*delivered));
    cpim::CpimMessage reply;
    reply.from = echo;
    reply.to = cpim->from.empty() ? "<" + call.peerUri + ">" : cpim->from;
    reply.dateTime = cpim::cpimNow();
    reply.contentType = cpim->contentType;
    reply.body = cpim->body;
    call.chat->send("message/cpim", cpim::buildCpim(reply));
}

void SipApplications::closeChat(Call& call) {
    call.chat.reset();
    if (call.chatSession.empty())
        return;
    closeMsrpSession(call.chatSession, "the echo chat");
    call.chatSession.clear();
}

void SipApplications::onCallState(nua_handle_s* handle, int state) {
    auto it = calls_.find(handle);
    if (it == calls_.end())
        return;
    if (state == nua_callstate_terminated) {
        endCall(handle);
        return;
    }
    // The playback starts once the call is up (our 200 acknowledged), and ends it.
    if (state == nua_callstate_ready && it->second.playback && !it->second.playing) {
        it->second.playing = true;
        it->second.playback->start(*media_, [this, handle, serial = it->second.serial] {
            stack_.post([this, handle, serial] {
                auto call = calls_.find(handle);
                if (call == calls_.end() || call->second.serial != serial || call->second.hangingUp)
                    return;
                call->second.hangingUp = true;
                nua_bye(handle, SIPTAG_REASON_STR("SIP;cause=200;text=\"playback finished\""), TAG_END());
            });
        });
    }
}

void SipApplications::endCall(nua_handle_s* handle) {
    auto it = calls_.find(handle);
    if (it == calls_.end())
        return;
    closeChat(it->second);
    calls_.erase(it);
    stack_.retire(handle);
}

void SipApplications::onMessage(nua_handle_s* handle, const sip_s* sip) {
    bool inCall = calls_.count(handle) > 0;
    auto respond = [&](int status, const char* phrase, const std::string& reason) {
        if (inCall) {
            std::string warning = reason.empty() ? "" : "399 sylk \"" + reason + "\"";
            nua_respond(handle, status, phrase, NUTAG_WITH_THIS(stack_.nua()),
                        TAG_IF(!warning.empty(), SIPTAG_WARNING_STR(warning.c_str())), TAG_END());
        } else {
            stack_.refuse(handle, status, phrase, reason);  // answers, and the handle goes
        }
    };
    std::string type = contentTypeOf(sip);
    std::string body = bodyOf(sip);
    if (body.size() > kMaxText) {
        respond(413, sip_413_Request_too_large, "at most 16 KiB");
        return;
    }
    std::string text;
    std::optional<cpim::CpimMessage> delivered;
    if (type == "text/plain") {
        text = body;
    } else if (type == "message/cpim") {
        std::string why;
        auto cpim = cpim::parseCpim(body, &why);
        if (!cpim) {
            respond(400, sip_400_Bad_request, conference_focus_detail::quotable("CPIM: " + why));
            return;
        }
        if (cpim->contentType.rfind("text/", 0) == 0) {
            text = cpim->body;
            delivered = imdnReply(*cpim, "delivered", "<" + toUri(sip) + ">");
        }
    } else if (type != "application/im-iscomposing+xml" && type != "message/imdn+xml") {
        respond(415, sip_415_Unsupported_media, "text/plain or message/cpim");
        return;
    }
    respond(200, sip_200_OK, "");
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
        text.pop_back();  // the body's line ending is not part of what was said
    // Notifications (is-composing, IMDN) are taken and not answered: echoing them would loop.
    if (text.empty())
        return;
    ++messagesAnswered_;
    if (delivered)
        sendMessage(inCall ? handle : nullptr, sip, "message/cpim", cpim::buildCpim(*delivered));
    sendMessage(inCall ? handle : nullptr, sip, "text/plain", quoted(text));
}

void SipApplications::sendMessage(nua_handle_s* dialog, const sip_s* sip, const std::string& contentType,
                                  const std::string& body) {
    if (dialog) {
        nua_message(dialog, SIPTAG_CONTENT_TYPE_STR(contentType.c_str()), SIPTAG_PAYLOAD_STR(body.c_str()), TAG_END());
        return;
    }
    // Out of a dialog: to the sender's From, sent where its Contact (else its From) says.
    std::string to = "<" + fromUri(sip) + ">";
    std::string from = "<" + toUri(sip) + ">";
    std::string target = sip->sip_contact ? uriOfHeader(sip->sip_contact->m_url) : fromUri(sip);
    nua_handle_s* handle = nua_handle(stack_.nua(), nullptr, SIPTAG_TO_STR(to.c_str()), SIPTAG_FROM_STR(from.c_str()), TAG_END());
    if (!handle)
        return;
    stack_.adopt(handle);
    sent_.insert(handle);
    nua_message(handle, NUTAG_URL(target.c_str()), SIPTAG_CONTENT_TYPE_STR(contentType.c_str()),
                SIPTAG_PAYLOAD_STR(body.c_str()), TAG_END());
}

}  // namespace sylk::sip
