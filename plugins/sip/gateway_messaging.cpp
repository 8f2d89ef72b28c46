// The gateway's messaging: DTMF and INFO in calls, SIP MESSAGE with CPIM, IMDN and is-composing,
// and the timer work that sends what waits for the next tick. Part of class Gateway (gateway.hpp).
#include "gateway.hpp"

#include <glib.h>

#include "sofia.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "sylkcore/cpim/cpim.hpp"
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

// ---------------------------------------------------------------- DTMF, INFO, MESSAGE

Json Gateway::dtmfInfo(GatewaySession& session, const std::string& digit, int durationMs) {
    if (session.call.state != CallState::Established)
        throw RequestError(ErrorCode::SipWrongState, "no established call");
    if (digit.size() != 1 || !std::strchr("0123456789*#ABCDabcd", digit[0]))
        throw RequestError(ErrorCode::InvalidField, "digit must be one of 0-9, *, #, A-D");
    std::string body = "Signal=" + digit + "\r\nDuration=" + std::to_string(durationMs) + "\r\n";
    nua_info(session.call.handle, SIPTAG_CONTENT_TYPE_STR("application/dtmf-relay"), SIPTAG_PAYLOAD_STR(body.c_str()),
             TAG_END());
    return result("dtmfsent");
}

void Gateway::onInfo(GatewaySession& session, const sip_s* sip) {
    std::string type = contentTypeOf(sip);
    std::string body = bodyOf(sip);
    Json event = result("info");
    event.set("sender", session.call.peerUri).set("type", type).set("content", body);
    emit(session, event);
    std::string signal;
    int duration = 0;
    if (type == "application/dtmf-relay" && readDtmfRelay(body, &signal, &duration)) {
        Json dtmf = result("dtmf");
        dtmf.set("signal", signal).set("duration", duration).set("via", "info");
        emit(session, dtmf);
    }
}

bool Gateway::resendOnOtherFamily(GatewaySession& session, nua_handle_s* failed) {
    auto found = outgoingMessages_.find(failed);
    if (found == outgoingMessages_.end() || found->second.retried)
        return false;
    OutgoingMessage message = std::move(found->second);
    outgoingMessages_.erase(found);
    message.listener = message.listener == 0 ? 1 : 0;
    message.retried = true;
    std::string from = fromHeader(session);
    nua_handle_s* handle = nua_handle(stack_.nua(message.listener), nullptr, SIPTAG_TO_STR(message.uri.c_str()),
                                      SIPTAG_FROM_STR(from.c_str()), TAG_END());
    if (!handle)
        return false;
    handles_.erase(failed);
    stack_.retire(failed);
    stack_.adopt(handle);
    handles_[handle] = session.shared_from_this();
    SYLK_LOG(LOG_INFO, kPackage, "MESSAGE to %s: sent again from %s (the name has no address of the other family)",
             message.uri.c_str(), stack_.ip(message.listener).c_str());
    nua_message(handle, SIPTAG_CONTENT_TYPE_STR(message.contentType.c_str()), SIPTAG_PAYLOAD_STR(message.body.c_str()),
                TAG_IF(!session.account.outboundProxy.empty(), NUTAG_PROXY(session.account.outboundProxy.c_str())),
                TAG_END());
    outgoingMessages_[handle] = std::move(message);
    return true;
}

void Gateway::sendMessage(const std::shared_ptr<GatewaySession>& session, const std::string& uri, bool inCall,
                          const std::string& contentType, const std::string& body) {
    nua_handle_s* handle = nullptr;
    if (inCall) {
        handle = session->call.handle;
    } else {
        std::string from = fromHeader(*session);
        int listener = stack_.listenerFor(session->account.outboundProxy.empty() ? uri : session->account.outboundProxy);
        handle = nua_handle(stack_.nua(listener), nullptr, SIPTAG_TO_STR(uri.c_str()), SIPTAG_FROM_STR(from.c_str()), TAG_END());
        if (!handle)
            throw RequestError(ErrorCode::SipStackError, "the SIP stack could not send to " + uri);
        stack_.adopt(handle);
        handles_[handle] = session;
        // Kept for a retry from the other listener (bounded: only names, while unanswered).
        if (stack_.listeners() > 1 && outgoingMessages_.size() < 10000 &&
            hostIsName(session->account.outboundProxy.empty() ? uri : session->account.outboundProxy))
            outgoingMessages_[handle] = OutgoingMessage{uri, contentType, body, listener, false};
    }
    nua_message(handle, SIPTAG_CONTENT_TYPE_STR(contentType.c_str()), SIPTAG_PAYLOAD_STR(body.c_str()),
                TAG_IF(!inCall && !session->account.outboundProxy.empty(),
                       NUTAG_PROXY(session->account.outboundProxy.c_str())),
                TAG_END());
}

void Gateway::message(const std::shared_ptr<GatewaySession>& session, const MessageRequest& request,
                      DeferredAnswer answer) {
    if (!session->account.active)
        throw RequestError(ErrorCode::SipWrongState, "register first (or register as a guest)");
    bool inCall = !request.uri && session->call.state == CallState::Established;
    if (request.uri && !validUri(*request.uri))
        throw RequestError(ErrorCode::SipInvalidAddress, "uri must be a SIP URI");
    if (!request.uri && !inCall)
        throw RequestError(ErrorCode::MissingField, "uri is needed outside a call");
    if (inCall && session->call.chatLink) {  // a chat-only call: over its MSRP session
        answer.done(chatMessage(*session, request));
        return;
    }
    std::optional<store::StoredPublicKey> publicKey;
    if (std::string refusal = checkPublicKey(request.contentType, request.content, &publicKey); !refusal.empty())
        throw RequestError(ErrorCode::InvalidField, refusal);
    Json event = result("messagesent");
    std::string peer = request.uri ? *request.uri : session->call.peerUri;
    gchar* uuid = g_uuid_string_random();
    std::string messageId = uuid;
    g_free(uuid);
    std::string contentType = request.contentType;
    std::string body = request.content;
    if (request.imdn) {
        cpim::CpimMessage cpim;
        cpim.from = fromHeader(*session);
        cpim.to = "<" + peer + ">";
        cpim.dateTime = cpim::cpimNow();
        cpim.headers = {{"NS", "imdn <urn:ietf:params:imdn>"},
                        {"imdn.Message-ID", messageId},
                        {"imdn.Disposition-Notification", "positive-delivery, display"}};
        cpim.contentType = request.contentType;
        cpim.body = request.content;
        contentType = "message/cpim";
        body = cpim::buildCpim(cpim);
    }
    event.set("message_id", messageId);
    std::string uri = request.uri.value_or("");
    if (!journal_) {
        sendMessage(session, uri, inCall, contentType, body);
        answer.done(event);
        return;
    }
    // Journaled first: the web user's "messagesent" means it is stored and on its way.
    store::JournalEntry entry;
    entry.account = session->account.aor;
    entry.kind = store::kind::kMessage;
    entry.messageId = messageId;
    entry.conversation = peer;
    entry.direction = "outgoing";
    entry.contentType = request.contentType;
    entry.content = request.content;
    entry.state = "sent";
    entry.timestampUs = g_get_real_time();
    std::weak_ptr<GatewaySession> weak = session;
    journal_->append({entry}, [this, weak, uri, inCall, contentType, body, event, answer, entry, publicKey](
                                  const store::AppendOutcome& outcome) {
        stack_.post([this, weak, uri, inCall, contentType, body, event, answer, entry, outcome, publicKey] {
            auto session = weak.lock();
            if (!outcome.stored) {
                answer.failed(ErrorCode::SipIoError, "not sent: the message journal could not store it: " + outcome.error);
                return;
            }
            keepPublicKey(entry.account, entry.account, publicKey);
            if (!session || !session->account.active || (inCall && session->call.state != CallState::Established)) {
                answer.failed(ErrorCode::SipWrongState, "the account or call ended while the message was stored");
                return;
            }
            try {
                sendMessage(session, uri, inCall, contentType, body);
            } catch (const RequestError& e) {
                answer.failed(e.code(), e.what());
                return;
            }
            Json done = event;
            done.set("seq", static_cast<json_int_t>(outcome.results[0].seq));
            answer.done(done);
            // The account's other handles (devices) see what this one sent.
            Json copy = result("outgoing_message");
            copy.set("message_id", entry.messageId).set("recipient", entry.conversation)
                .set("content_type", entry.contentType).set("content", entry.content)
                .set("seq", static_cast<json_int_t>(outcome.results[0].seq));
            for (const auto& other : handlesOf(entry.account, session.get()))
                emit(*other, copy);
            shareWithOtherNodes(entry.account, copy);
        });
    });
}

Json Gateway::composing(const std::shared_ptr<GatewaySession>& session, bool active,
                        const std::optional<std::string>& uri) {
    if (!session->account.active)
        throw RequestError(ErrorCode::SipWrongState, "register first (or register as a guest)");
    bool inCall = !uri && session->call.state == CallState::Established;
    if (uri && !validUri(*uri))
        throw RequestError(ErrorCode::SipInvalidAddress, "uri must be a SIP URI");
    if (!uri && !inCall)
        throw RequestError(ErrorCode::MissingField, "uri is needed outside a call");
    if (inCall && session->call.chatLink)
        return chatComposing(*session, active);
    sendMessage(session, uri.value_or(""), inCall, "application/im-iscomposing+xml", buildIsComposing(active));
    return result("composingsent");
}

void Gateway::onTick() {
    if (++ticks_ % 10 == 0) {  // once a second
        checkRtpTimeouts();
        checkKeptRings();
        expireHeldXmppInvites();
    }
    retryRepaths();
    std::vector<PendingMessage> pending;
    pending.swap(pending_);
    for (const auto& message : pending) {
        auto session = message.session.lock();
        if (!session || !session->account.active)
            continue;
        bool inCall = message.inCall && session->call.state == CallState::Established;
        if (message.inCall && !inCall)
            continue;  // the call ended meanwhile
        sendMessage(session, message.uri, inCall, "message/cpim", message.body);
    }
}

void Gateway::onIncomingMessage(nua_handle_s* handle, const sip_s* sip) {
    auto session = sessionOf(handle);
    bool inCall = session && session->call.handle == handle;
    if (!session)
        session = contacts_[requestUser(sip)].lock();
    if (!session && offlineCandidate(sip)) {
        onOfflineMessage(handle, sip);
        return;
    }
    if (!session) {
        stack_.refuse(handle, 404, sip_404_Not_found, "no such user");
        return;
    }
    auto finish = [&](int status, const char* phrase) {
        nua_respond(handle, status, phrase, NUTAG_WITH_THIS(stack_.nua()), TAG_END());
        if (!inCall)
            stack_.retire(handle);
    };
    std::string body = bodyOf(sip);
    std::string type = contentTypeOf(sip);
    if (body.empty() || body.size() > 64 * 1024) {
        finish(body.empty() ? 400 : 413, body.empty() ? sip_400_Bad_request : sip_413_Request_too_large);
        return;
    }
    std::string sender = fromUri(sip);
    std::string callId = callIdOf(sip);
    if (type == "application/im-iscomposing+xml") {
        auto state = parseIsComposing(body);
        if (!state) {
            finish(400, sip_400_Bad_request);
            return;
        }
        Json event = result("composing");
        event.set("sender", sender).set("state", *state);
        events_(*session, callId, event, Json());
        finish(200, sip_200_OK);
        return;
    }
    Json event = result("message");
    event.set("sender", sender).set("displayname", displayOf(sip));
    std::string aor = session->account.aor;
    std::weak_ptr<GatewaySession> weak = session;
    // Delivers event to the handle the MESSAGE came to and the account's other handles, once:
    // a duplicate (a retransmission by another route, or the proxy's fork of the same message to
    // another handle of the account) was delivered already.
    auto deliver = [this, weak, callId, aor](const Json& event) {
        auto session = weak.lock();
        if (session)
            events_(*session, callId, event, Json());
        for (const auto& other : handlesOf(aor, session.get()))
            events_(*other, "", event, Json());
    };
    store::JournalEntry entry;
    entry.account = aor;
    entry.kind = store::kind::kMessage;
    entry.conversation = sender;
    entry.direction = "incoming";
    entry.state = "received";
    entry.timestampUs = g_get_real_time();
    std::optional<std::string> deliveredImdn;
    if (type == "message/cpim") {
        auto cpim = cpim::parseCpim(body);
        if (!cpim) {
            finish(400, sip_400_Bad_request);
            return;
        }
        if (cpim->contentType.rfind("message/imdn+xml", 0) == 0) {
            auto notification = parseImdnXml(cpim->body);
            if (!notification) {
                finish(400, sip_400_Bad_request);
                return;
            }
            Json imdn = result("imdn");
            imdn.set("sender", sender).set("message_id", notification->messageId).set("status", notification->status);
            bool journaled = notification->status == "delivered" || notification->status == "displayed";
            if (!journal_ || !journaled) {
                deliver(imdn);
                finish(200, sip_200_OK);
                return;
            }
            entry.kind = store::kind::kState;
            entry.messageId = notification->messageId;
            entry.state = notification->status;
            answerOnceJournaled(handle, inCall, {entry}, [deliver, imdn](bool duplicate) {
                if (!duplicate)
                    deliver(imdn);
            });
            return;
        }
        Json envelope = Json::object();
        envelope.set("from", cpim->from).set("to", cpim->to).set("datetime", cpim->dateTime);
        std::string messageId = cpim->header("imdn.Message-ID");
        if (!messageId.empty())
            envelope.set("message_id", messageId);
        event.set("content_type", cpim->contentType).set("content", cpim->body).set("cpim", envelope);
        entry.messageId = messageId;
        entry.contentType = cpim->contentType;
        entry.content = cpim->body;
        // Delivered to the web user: tell the sender if it asked (RFC 5438), after our 200.
        if (auto reply = imdnReply(*cpim, "delivered", fromHeader(*session)))
            deliveredImdn = cpim::buildCpim(*reply);
        std::string disposition = cpim->header("imdn.Disposition-Notification");
        if (!disposition.empty())  // what the sender asked for: "display" -> the page may send displayed
            envelope.set("disposition_notification", disposition);
        if (!messageId.empty() && disposition.find("display") != std::string::npos) {
            if (auto reply = imdnReply(*cpim, "displayed", fromHeader(*session))) {
                constexpr size_t kMaxAsked = 1024;  // a sender asking for thousands nobody displays holds no more
                if (pagerDisplayAsked_.size() >= kMaxAsked)
                    pagerDisplayAsked_.erase(pagerDisplayAsked_.begin());
                pagerDisplayAsked_[aor + " " + messageId] = {session, sender, false, cpim::buildCpim(*reply)};
            }
        }
        event.set("cpim", envelope);
    } else {
        entry.contentType = type;
        entry.content = body;
        event.set("content_type", type).set("content", body);
    }
    std::optional<store::StoredPublicKey> publicKey;
    if (std::string refusal = checkPublicKey(entry.contentType, entry.content, &publicKey); !refusal.empty()) {
        std::string warning = "399 sylk \"" + refusal + "\"";
        nua_respond(handle, 400, "Bad Public Key", NUTAG_WITH_THIS(stack_.nua()), SIPTAG_WARNING_STR(warning.c_str()),
                    TAG_END());
        if (!inCall)
            stack_.retire(handle);
        return;
    }
    if (entry.messageId.empty()) {
        // No imdn.Message-ID: the SIP transaction names the message, the same on every fork.
        entry.messageId = "sip:" + callId + ";cseq=" + std::to_string(sip->sip_cseq ? sip->sip_cseq->cs_seq : 0);
    }
    event.set("message_id", entry.messageId);
    std::string display = displayOf(sip);
    auto afterwards = [this, weak, deliver, event, sender, display, inCall, deliveredImdn, aor,
                       publicKey](bool duplicate) {
        if (duplicate)
            return;
        keepPublicKey(aor, sender, publicKey);
        deliver(event);
        auto session = weak.lock();
        if (session && deliveredImdn)
            pending_.push_back({session, sender, inCall, *deliveredImdn});
        // The account's phones learn of it too (the unread badge), once it is stored.
        if (session)
            pushMessage(*session, sender, display);
    };
    if (!journal_) {
        finish(200, sip_200_OK);
        afterwards(false);
        return;
    }
    answerOnceJournaled(handle, inCall, {entry}, afterwards);
}

}  // namespace sylk::sip
