// The gateway's chat-only calls: a SIP chat client INVITEs a web user with an m=message stream
// (RFC 4975). When the web user accepts, the stream goes to the msrp plugin in its direct mode
// (msrp.open_session with "mode": "direct" and a private hub room, direct/<contact user>/<call>),
// and our answer carries the path it gave. The MSRP messages cross that room unparsed; here they
// become the web user's message, composing and imdn events (as an in-dialog SIP MESSAGE's do) and
// the web user's message and composing requests become CPIM SENDs, with IMDN (RFC 5438) as for
// SIP MESSAGE. Part of class Gateway (gateway.hpp).
#include "gateway.hpp"

#include <glib.h>

#include "sofia.hpp"

#include "gateway_chat_link.hpp"
#include "imdn.hpp"
#include "sip_message.hpp"
#include "sip_stack.hpp"
#include "sylkcore/cpim/cpim.hpp"
#include "sylkcore/hub/services.hpp"
#include "sylkcore/hub/service_names.hpp"
#include "sylkcore/log.hpp"
#include "sylkcore/request_error.hpp"

#include "gateway_detail.hpp"
#include "msrp_answer.hpp"

namespace sylk::sip {

using namespace gateway_detail;

namespace {

// "type/subtype" of a Content-Type value, lower case, without parameters.
std::string baseType(const std::string& contentType) {
    std::string base = contentType.substr(0, contentType.find(';'));
    while (!base.empty() && (base.back() == ' ' || base.back() == '\t'))
        base.pop_back();
    for (auto& c : base)
        c = static_cast<char>(g_ascii_tolower(c));
    return base;
}

// The display name of a CPIM address ("\"Bob\" <sip:bob@x>" -> Bob), or "".
std::string displayOfAddress(const std::string& value) {
    std::string display = value.substr(0, value.find('<'));
    std::string clean;
    for (char c : display) {
        if (c != '"')
            clean += c;
    }
    size_t first = clean.find_first_not_of(" \t");
    size_t last = clean.find_last_not_of(" \t");
    return first == std::string::npos ? "" : clean.substr(first, last - first + 1);
}

}  // namespace

void Gateway::offerChat(const std::shared_ptr<GatewaySession>& session, nua_handle_s* handle, const sip_s* sip,
                        const MsrpOffer& offer, const std::string& sdp) {
    SipCall& call = session->call;
    call = SipCall{};
    call.state = CallState::Ringing;
    call.incoming = true;
    call.listener = stack_.currentListener();
    call.handle = handle;
    call.callId = callIdOf(sip);
    call.peerUri = fromUri(sip);
    call.chatOnly = true;
    call.msrpOffer = offer;
    call.offeredLines = mediaLines(sdp);
    handles_[handle] = session;
    ++calls_;
    ++callsReceived_;
    nua_respond(handle, 180, sip_180_Ringing, TAG_END());
    // No JSEP: nothing for the browser's PeerConnection; the web user accepts without one.
    Json event = result("incomingcall");
    event.set("username", call.peerUri).set("displayname", displayOf(sip)).set("callee", toUri(sip)).setBool("chat", true);
    emit(*session, event);
}

std::shared_ptr<GatewayChatLink> Gateway::makeChatLink(GatewaySession& session) {
    std::string room = "direct/" + session.account.contactUser + "/" + session.call.callId;
    std::weak_ptr<GatewaySession> weak = session.shared_from_this();
    std::string callId = session.call.callId;
    auto link = std::make_shared<GatewayChatLink>(room, std::string(kPackage) + "/" + session.account.contactUser,
                                                  [this, weak, callId](hub::DirectMessage message) {
        // On the msrp plugin's thread: to ours.
        stack_.post([this, weak, callId, message = std::move(message)] {
            auto owner = weak.lock();
            if (owner && owner->call.callId == callId && owner->call.chatLink)
                onChatMessage(*owner, message);
        });
    });
    link->onPath([this, weak, callId](hub::MsrpPathChange change) {
        stack_.post([this, weak, callId, change = std::move(change)] {
            auto owner = weak.lock();
            if (owner && owner->call.callId == callId && owner->call.chatLink)
                onChatPathMoved(*owner, change);
        });
    });
    link->start();  // listening before the session exists: nothing the peer sends is missed
    return link;
}

bool Gateway::openOfferedChat(GatewaySession& session, MsrpAnswer* answer, std::string* reason) {
    SipCall& call = session.call;
    const MsrpOffer& offer = *call.msrpOffer;
    auto link = makeChatLink(session);
    const std::string& room = link->room();

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
        .set("display", session.account.displayName)
        .set("role", msrpAnswerRole(offer.setup))
        .setBool("hold_answer", true)  // we answer each SEND once its message is journaled
        .set("remote", remote);
    std::string chatSession, chatMember;  // the member is the conference's concern, not ours
    try {
        Json reply = hub::Services::instance().call(hub::service::MsrpOpenSession, request);
        if (!readMsrpAnswer(reply, &chatSession, &chatMember, answer)) {
            *reason = "the msrp plugin's answer was incomplete";
            if (!chatSession.empty()) {
                call.chatSession = chatSession;
                closeChat(session);
            }
        }
    } catch (const std::exception& e) {
        *reason = e.what();
    }
    if (!reason->empty()) {
        SYLK_LOG(LOG_WARN, kPackage, "chat of call %s: %s", call.callId.c_str(), reason->c_str());
        return false;
    }
    answer->direction = answerDirection(offer.direction);
    call.chatSession = chatSession;
    call.chatLink = std::move(link);
    call.chatAnswer = *answer;
    call.chatPeerPath = offer.path;
    return true;
}

Json Gateway::acceptChat(GatewaySession& session) {
    SipCall& call = session.call;
    MsrpAnswer answer;
    std::string reason;
    if (!openOfferedChat(session, &answer, &reason)) {
        std::string warning = "399 sylk \"chat: " + reason.substr(0, 120) + "\"";
        for (auto& c : warning) {
            if (static_cast<unsigned char>(c) < 0x20)
                c = ' ';
        }
        nua_respond(call.handle, 488, sip_488_Not_acceptable, SIPTAG_WARNING_STR(warning.c_str()), TAG_END());
        call.hangupReported = true;
        endCall(session, 488, reason);
        throw RequestError(ErrorCode::SipStackError, "the chat could not be opened: " + reason);
    }
    AnswerStreams streams;
    streams.offered = call.offeredLines;
    streams.msrpIndex = call.msrpOffer->index;
    streams.msrp = &answer;
    std::string sdp = buildStreamsAnswer(answer.host, sessionIds_, call.sdpVersion++, streams);
    call.localSdp = sdp;
    std::string contact = stack_.contactFor(session.account.contactUser, call.listener);
    nua_respond(call.handle, 200, sip_200_OK, SIPTAG_CONTACT_STR(contact.c_str()),
                SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp.c_str()), TAG_END());
    call.state = CallState::Established;
    call.answeredUs = g_get_real_time();
    Json event = result("accepted");
    event.set("username", call.peerUri).setBool("chat", true);
    return event;
}

Json Gateway::callChat(const std::shared_ptr<GatewaySession>& session, const std::string& uri) {
    if (!session->account.active)
        throw RequestError(ErrorCode::SipWrongState, "register first (or register as a guest)");
    if (session->call.state != CallState::Idle)
        throw RequestError(ErrorCode::SipWrongState, "already in a call");
    if (!validUri(uri))
        throw RequestError(ErrorCode::SipInvalidAddress, "uri must be a SIP URI like sip:bob@example.com");
    const int listener = stack_.listenerFor(session->account.outboundProxy.empty() ? uri : session->account.outboundProxy);
    SipCall& call = session->call;
    call = SipCall{};
    call.listener = listener;
    call.peerUri = uri;
    call.chatOnly = true;
    gchar* uuid = g_uuid_string_random();
    call.callId = uuid;
    g_free(uuid);
    // We offer and listen (a=setup:passive): the msrp plugin's direct session without a remote
    // path; the answer's path is given to it with msrp.set_remote.
    auto link = makeChatLink(*session);
    Json request = Json::object();
    request.set("room", link->room())
        .set("mode", "direct")
        .set("uri", uri)
        .set("display", session->account.displayName)
        .set("role", "passive")
        .setBool("hold_answer", true);  // we answer each SEND once its message is journaled
    std::string chatSession, chatMember;  // the member is the conference's concern, not ours
    MsrpAnswer ours;
    std::string reason;
    try {
        Json reply = hub::Services::instance().call(hub::service::MsrpOpenSession, request);
        if (!readMsrpAnswer(reply, &chatSession, &chatMember, &ours))
            reason = "the msrp plugin's answer was incomplete";
    } catch (const std::exception& e) {
        reason = e.what();
    }
    call.chatSession = chatSession;
    if (!reason.empty()) {
        closeChat(*session);
        call = SipCall{};
        throw RequestError(ErrorCode::SipStackError, "the chat could not be opened: " + reason);
    }
    call.chatLink = std::move(link);
    call.chatAnswer = ours;
    AnswerStreams streams;
    streams.offered = {SdpMediaLine{"message", "TCP/MSRP", "*"}};
    streams.msrpIndex = 0;
    streams.msrp = &ours;
    ++sessionIds_;
    std::string sdp = buildStreamsAnswer(ours.host, sessionIds_, call.sdpVersion++, streams);
    call.localSdp = sdp;
    std::string from = fromHeader(*session);
    call.handle = nua_handle(stack_.nua(listener), nullptr, SIPTAG_TO_STR(uri.c_str()), SIPTAG_FROM_STR(from.c_str()),
                             SIPTAG_CALL_ID_STR(call.callId.c_str()), TAG_END());
    if (!call.handle) {
        closeChat(*session);
        call = SipCall{};
        throw RequestError(ErrorCode::SipStackError, "the SIP stack could not make a call to " + uri);
    }
    call.state = CallState::Calling;
    stack_.adopt(call.handle);
    handles_[call.handle] = session;
    std::string contact = stack_.contactFor(session->account.contactUser, listener);
    nua_invite(call.handle, SIPTAG_CONTACT_STR(contact.c_str()), SIPTAG_CONTENT_TYPE_STR("application/sdp"),
               SIPTAG_PAYLOAD_STR(sdp.c_str()),
               TAG_IF(!session->account.outboundProxy.empty(), NUTAG_PROXY(session->account.outboundProxy.c_str())),
               TAG_END());
    ++calls_;
    ++callsPlaced_;
    Json event = result("calling");
    event.set("call_id", call.callId).setBool("chat", true);
    return event;
}

bool Gateway::onChatInviteResponse(GatewaySession& session, int status, const sip_s* sip) {
    SipCall& call = session.call;
    if (!call.chatOnly || call.state != CallState::Calling || status < 200 || status >= 300)
        return false;  // provisional and error responses: as for an audio call
    std::string reason;
    auto answer = chooseMessage(bodyOf(sip), &reason);
    if (answer) {
        try {
            call.chatAnswer.setup = setMsrpRemote(call.chatSession, *answer);
            call.chatPeerPath = answer->path;
        } catch (const std::exception& e) {
            reason = e.what();
            answer.reset();
        }
    }
    call.state = CallState::Established;
    if (answer)
        call.answeredUs = g_get_real_time();
    if (!answer) {
        SYLK_LOG(LOG_WARN, kPackage, "chat call %s answered without a usable m=message: %s", call.callId.c_str(), reason.c_str());
        nua_bye(call.handle, TAG_END());
        Json event = result("hangup");
        event.set("code", 488).set("reason", "Not Acceptable Here: " + reason);
        emit(session, event);
        call.hangupReported = true;
        return true;
    }
    Json event = result("accepted");
    event.set("username", call.peerUri).setBool("chat", true);
    emit(session, event);
    return true;
}

void Gateway::closeChat(GatewaySession& session) {
    SipCall& call = session.call;
    call.chatLink.reset();
    if (call.chatSession.empty())
        return;
    closeMsrpSession(call.chatSession, "the chat of call " + call.callId);
    call.chatSession.clear();
}

void Gateway::onChatMessage(GatewaySession& session, const hub::DirectMessage& message) {
    SipCall& call = session.call;
    std::string type = baseType(message.contentType);
    // The msrp plugin holds the sender's 200 (hold_answer) until this: after the journal.
    auto link = call.chatLink;
    std::string ackId = message.ackId;
    auto ack = [link, ackId](int status) { link->ack(ackId, status); };
    std::weak_ptr<GatewaySession> weak = session.shared_from_this();
    std::string callId = call.callId;
    std::string aor = session.account.aor;
    // To the handle of the call and, once stored, the account's other handles (devices).
    auto deliver = [this, weak, callId, aor](const Json& event) {
        auto owner = weak.lock();
        if (owner)
            events_(*owner, callId, event, Json());
        if (!aor.empty())
            for (const auto& other : handlesOf(aor, owner.get()))
                events_(*other, "", event, Json());
    };
    auto composing = [&](const std::string& xml, const std::string& sender) {
        auto state = parseIsComposing(xml);
        if (!state) {
            SYLK_LOG(LOG_WARN, kPackage, "chat call %s: an is-composing document we cannot read", call.callId.c_str());
            ack(400);
            return;
        }
        ack(200);
        Json event = result("composing");
        event.set("sender", sender).set("state", *state);
        events_(session, call.callId, event, Json());
    };
    if (type == "application/im-iscomposing+xml") {
        composing(message.body, call.peerUri);
        return;
    }
    Json event = result("message");
    if (type != "message/cpim") {
        event.set("sender", call.peerUri).set("content_type", message.contentType).set("content", message.body);
        journalChat(session, store::kind::kMessage, "", "incoming", message.contentType, message.body, "received",
                    [ack, deliver, event](bool stored, bool duplicate, int64_t) {
                        ack(stored ? 200 : 500);
                        if (stored && !duplicate)
                            deliver(event);
                    });
        return;
    }
    auto cpim = cpim::parseCpim(message.body);
    if (!cpim) {
        SYLK_LOG(LOG_WARN, kPackage, "chat call %s: a CPIM message we cannot read, dropped", call.callId.c_str());
        ack(400);
        return;
    }
    std::string sender = cpim::addressUri(cpim->from);
    if (sender.empty())
        sender = call.peerUri;
    std::string inner = baseType(cpim->contentType);
    if (inner == "application/im-iscomposing+xml") {
        composing(cpim->body, sender);
        return;
    }
    if (inner == "message/imdn+xml") {
        auto notification = parseImdnXml(cpim->body);
        if (!notification) {
            SYLK_LOG(LOG_WARN, kPackage, "chat call %s: an IMDN we cannot read, dropped", call.callId.c_str());
            ack(400);
            return;
        }
        Json imdn = result("imdn");
        imdn.set("sender", sender).set("message_id", notification->messageId).set("status", notification->status);
        auto afterwards = [ack, deliver, imdn](bool stored, bool duplicate, int64_t) {
            ack(stored ? 200 : 500);
            if (stored && !duplicate)
                deliver(imdn);
        };
        if (notification->status == "delivered" || notification->status == "displayed")
            journalChat(session, store::kind::kState, notification->messageId, "", "", "", notification->status,
                        afterwards);
        else
            afterwards(true, false, 0);
        return;
    }
    Json envelope = Json::object();
    envelope.set("from", cpim->from).set("to", cpim->to).set("datetime", cpim->dateTime);
    std::string messageId = cpim->header("imdn.Message-ID");
    if (!messageId.empty())
        envelope.set("message_id", messageId);
    std::string disposition = cpim->header("imdn.Disposition-Notification");
    if (!disposition.empty())  // what the sender asked for: "display" -> the page may send displayed
        envelope.set("disposition_notification", disposition);
    event.set("sender", sender)
        .set("displayname", displayOfAddress(cpim->from))
        .set("content_type", cpim->contentType)
        .set("content", cpim->body)
        .set("cpim", envelope);
    if (!messageId.empty())
        event.set("message_id", messageId);
    auto stored = [this, weak, callId, ack, deliver, event, document = *cpim, messageId](bool stored, bool duplicate,
                                                                                         int64_t) {
        ack(stored ? 200 : 500);
        if (!stored || duplicate)
            return;  // not stored: the sender has its failure and sends it again; a copy: seen already
        deliver(event);
        auto owner = weak.lock();
        if (!owner || owner->call.callId != callId || !owner->call.chatLink)
            return;
        SipCall& call = owner->call;
        constexpr size_t kMaxAsked = 256;  // a peer asking for thousands nobody acknowledges holds no more
        std::string asked = document.header("imdn.Disposition-Notification");
        if (owner->account.xmppSessions && !messageId.empty() && asked.find("positive-delivery") != std::string::npos) {
            // An XMPP user's session: delivered is her client's to say (its receipt: delivered()),
            // not ours for having handed the message to the xmpp plugin.
            if (call.deliveryAsked.size() >= kMaxAsked)
                call.deliveryAsked.erase(call.deliveryAsked.begin());
            call.deliveryAsked[messageId] = document;
        } else if (auto reply = imdnReply(document, "delivered", fromHeader(*owner))) {
            // Delivered to the web user: tell the sender if it asked (RFC 5438), over the same session.
            call.chatLink->send("message/cpim", cpim::buildCpim(*reply));
        }
        if (!messageId.empty() && asked.find("display") != std::string::npos) {
            if (call.displayAsked.size() >= kMaxAsked)
                call.displayAsked.erase(call.displayAsked.begin());
            call.displayAsked[messageId] = document;
        }
    };
    journalChat(session, store::kind::kMessage, messageId, "incoming", cpim->contentType, cpim->body, "received",
                stored);
}

Json Gateway::displayed(GatewaySession& session, const std::string& messageId) {
    SipCall& call = session.call;
    if (call.state != CallState::Established || !call.chatLink)
        return pagerDisplayed(session, messageId);
    auto asked = call.displayAsked.find(messageId);
    if (asked == call.displayAsked.end())
        throw RequestError(ErrorCode::InvalidField, "no message '" + messageId + "' waiting for a display notification");
    clearUnread(session);  // read on this device: the badge starts again
    // Displayed implies delivered: an XMPP client that sends markers but no receipt.
    if (auto undelivered = call.deliveryAsked.find(messageId); undelivered != call.deliveryAsked.end()) {
        if (auto delivery = imdnReply(undelivered->second, "delivered", fromHeader(session)))
            call.chatLink->send("message/cpim", cpim::buildCpim(*delivery));
        call.deliveryAsked.erase(undelivered);
    }
    auto reply = imdnReply(asked->second, "displayed", fromHeader(session));
    call.displayAsked.erase(asked);
    if (reply)
        call.chatLink->send("message/cpim", cpim::buildCpim(*reply));
    journalChat(session, store::kind::kState, messageId, "", "", "", "displayed");
    Json event = result("displayedsent");
    event.set("message_id", messageId);
    return event;
}

Json Gateway::delivered(GatewaySession& session, const std::string& messageId) {
    SipCall& call = session.call;
    auto asked = call.deliveryAsked.find(messageId);
    if (call.state != CallState::Established || !call.chatLink || asked == call.deliveryAsked.end())
        throw RequestError(ErrorCode::InvalidField, "no message '" + messageId + "' waiting for a delivery notification");
    auto reply = imdnReply(asked->second, "delivered", fromHeader(session));
    call.deliveryAsked.erase(asked);
    if (reply)
        call.chatLink->send("message/cpim", cpim::buildCpim(*reply));
    Json event = result("deliveredsent");
    event.set("message_id", messageId);
    return event;
}

Json Gateway::pagerDisplayed(GatewaySession& session, const std::string& messageId) {
    auto asked = pagerDisplayAsked_.find(session.account.aor + " " + messageId);
    if (!session.account.active || asked == pagerDisplayAsked_.end())
        throw RequestError(ErrorCode::InvalidField, "no message '" + messageId + "' waiting for a display notification");
    clearUnread(session);
    sendMessage(session.shared_from_this(), asked->second.uri, false, "message/cpim", asked->second.body);
    pagerDisplayAsked_.erase(asked);
    Json event = result("displayedsent");
    event.set("message_id", messageId);
    return event;
}

Json Gateway::chatMessage(GatewaySession& session, const MessageRequest& request) {
    cpim::CpimMessage cpim;
    cpim.from = fromHeader(session);
    cpim.to = "<" + session.call.peerUri + ">";
    cpim.dateTime = cpim::cpimNow();
    gchar* uuid = g_uuid_string_random();
    std::string messageId = uuid;
    g_free(uuid);
    // A Message-ID always (the peer may answer with an IMDN it was not asked for, and correlate).
    cpim.headers = {{"NS", "imdn <urn:ietf:params:imdn>"}, {"imdn.Message-ID", messageId}};
    if (request.imdn)
        cpim.headers.emplace_back("imdn.Disposition-Notification", "positive-delivery, display");
    cpim.contentType = request.contentType;
    cpim.body = request.content;
    // The account's other handles (devices) see what this one sent, as for a SIP MESSAGE.
    Json copy = result("outgoing_message");
    copy.set("message_id", messageId).set("recipient", session.call.peerUri)
        .set("content_type", request.contentType).set("content", request.content);
    std::weak_ptr<GatewaySession> weak = session.shared_from_this();
    std::string aor = session.account.aor;
    journalChat(session, store::kind::kMessage, messageId, "outgoing", request.contentType, request.content, "sent",
                [this, weak, aor, copy](bool stored, bool, int64_t seq) {
                    if (!stored)
                        return;
                    Json done = copy;
                    done.set("seq", static_cast<json_int_t>(seq));
                    auto owner = weak.lock();
                    for (const auto& other : handlesOf(aor, owner.get()))
                        emit(*other, done);
                    shareWithOtherNodes(aor, done);
                });
    session.call.chatLink->send("message/cpim", cpim::buildCpim(cpim));
    Json event = result("messagesent");
    event.set("message_id", messageId);
    return event;
}

Json Gateway::chatComposing(GatewaySession& session, bool active) {
    cpim::CpimMessage cpim;
    cpim.from = fromHeader(session);
    cpim.to = "<" + session.call.peerUri + ">";
    cpim.dateTime = cpim::cpimNow();
    cpim.contentType = "application/im-iscomposing+xml";
    cpim.body = buildIsComposing(active);
    session.call.chatLink->send("message/cpim", cpim::buildCpim(cpim));
    return result("composingsent");
}

}  // namespace sylk::sip
