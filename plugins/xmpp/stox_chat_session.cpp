#include "stox_chat_session.hpp"

#include <gloox/tag.h>
#include <jansson.h>

#include <chrono>

#include "jid.hpp"
#include "stox_address.hpp"
#include "stox_stanzas.hpp"
#include "sylkcore/log.hpp"

namespace sylk::xmpp {
namespace {

constexpr char kLog[] = "janus.plugin.sylk.xmpp";
constexpr char kGateway[] = "janus.plugin.sylk.sip";
// Janus drops a session without a request for session_timeout (60 s by default).
constexpr std::chrono::seconds kKeepalive{20};
// alice's messages whose IMDN may still come (RFC 5438 sets no bound; a chat keeps few open).
constexpr size_t kMaxAwaitingImdn = 256;
// As the page-mode path (SipDomainService): ids an XMPP client can carry back in a receipt.
constexpr size_t kMaxIdBytes = 128;

bool usableId(const std::string& id) { return !id.empty() && id.size() <= kMaxIdBytes && printableUtf8(id); }

std::string text(json_t* value) { return json_is_string(value) ? json_string_value(value) : ""; }

int64_t idIn(const Json& reply) {
    json_t* data = reply.member("data");
    json_t* id = data ? json_object_get(data, "id") : nullptr;
    return json_is_integer(id) ? json_integer_value(id) : 0;
}

json_t* resultOf(const Json& message) {
    json_t* plugindata = message.member("plugindata");
    json_t* data = plugindata ? json_object_get(plugindata, "data") : nullptr;
    return data ? json_object_get(data, "result") : nullptr;
}

}  // namespace

StoxChatSession::StoxChatSession(net::StackThread& thread, std::string sipDomain, std::chrono::milliseconds ringTimeout,
                                 StoxChatSessionHooks hooks)
    : thread_(thread), sipDomain_(std::move(sipDomain)), ringTimeout_(ringTimeout), hooks_(std::move(hooks)) {}

StoxChatSession::~StoxChatSession() {
    keepalive_.cancel();
    ringTimer_.cancel();
    channel_.reset();  // janus destroys the session: the gateway hangs up what is left
}

void StoxChatSession::sendApi(Json message, hub::ApiChannel::Handler onReply) {
    try {
        channel_->request(std::move(message), std::move(onReply));
    } catch (const std::exception& e) {
        end(std::string("the Janus API is gone: ") + e.what());
    }
}

void StoxChatSession::sendMessage(Json body, hub::ApiChannel::Handler onReply) {
    if (over_)
        return;
    Json request = Json::object();
    request.set("janus", "message").set("session_id", static_cast<json_int_t>(sessionId_))
        .set("handle_id", static_cast<json_int_t>(handleId_)).set("body", body);
    sendApi(request, std::move(onReply));
}

void StoxChatSession::start() {
    channel_ = std::make_unique<hub::ApiChannel>([this](std::function<void()> work) { return thread_.post(std::move(work)); },
                                                 [this](const Json& message) { onEvent(message); });
    sendApi(Json::object().set("janus", "create"), [this](const Json& reply) {
        sessionId_ = idIn(reply);
        if (!sessionId_)
            return end("janus refused a session");
        keepalive_ = thread_.every(kKeepalive, [this] {
            if (!over_)
                sendApi(Json::object().set("janus", "keepalive").set("session_id", static_cast<json_int_t>(sessionId_)));
        });
        Json attach = Json::object();
        attach.set("janus", "attach").set("session_id", static_cast<json_int_t>(sessionId_)).set("plugin", kGateway);
        sendApi(attach, [this](const Json& attached) {
            handleId_ = idIn(attached);
            if (!handleId_)
                return end("the SIP gateway is not available");
            // A guest: it never registers; its account becomes the XMPP user called.
            Json body = Json::object();
            body.set("request", "register").set("type", "guest").set("username", "sip:xmpp-gateway@" + sipDomain_)
                .setBool("xmpp_sessions", true);
            sendMessage(body, [this](const Json& registered) {
                json_t* result = resultOf(registered);
                if (text(result ? json_object_get(result, "event") : nullptr) != "registered")
                    return end("the SIP gateway refused the handle for XMPP sessions");
                ready_ = true;
            });
        });
    });
}

void StoxChatSession::onEvent(const Json& message) {
    if (over_)
        return;
    std::string kind = text(message.member("janus"));
    if (kind == "detached" || kind == "timeout")
        return end("janus ended the handle (" + kind + ")");
    if (kind == "trickle" && calling_) {
        json_t* candidate = message.member("candidate");
        std::string line = candidate ? text(json_object_get(candidate, "candidate")) : "";
        if (!line.empty())
            trickle(line);
        return;
    }
    if (kind != "event")
        return;
    json_t* result = resultOf(message);
    std::string event = text(result ? json_object_get(result, "event") : nullptr);
    if (event == "incomingcall") {
        incomingCall(result, message.member("jsep") && !json_is_true(json_object_get(result, "chat")));
        if (calling_ && !over_)
            startCall(message.member("jsep"));
    } else if (calling_) {
        callEvent(event, result);
    } else if (event == "message" && chatting_) {
        messageToXmpp(result);
    } else if (event == "imdn" && chatting_) {
        imdnToXmpp(result);
    } else if (event == "composing" && chatting_) {
        toXmpp("", text(json_object_get(result, "state")) == "active" ? ChatState::Composing : ChatState::Paused);
    } else if (event == "hangup") {
        if (chatting_)
            toXmpp("", ChatState::Gone);
        end("SIP " + std::to_string(json_integer_value(json_object_get(result, "code"))) + " " +
            text(json_object_get(result, "reason")));
    }
}

void StoxChatSession::incomingCall(json_t* result, bool withAudio) {
    taken_ = true;
    hooks_.taken();
    std::string caller = text(json_object_get(result, "username"));
    std::string callee = text(json_object_get(result, "callee"));
    auto sip = parseSipAddress(caller);
    auto callee_address = parseSipAddress(callee);
    auto user = callee_address ? xmppUserOfSip(*callee_address) : std::nullopt;
    std::string local = sip ? jidLocalOfSip(*sip) : "";
    int refusal = 0;
    if (local.empty() || !user)
        refusal = 404;
    else if (!withAudio && !json_is_true(json_object_get(result, "chat")))
        refusal = 488;
    if (refusal) {
        SYLK_LOG(LOG_INFO, kLog, "a SIP session from %s to %s refused (%d)", caller.c_str(), callee.c_str(), refusal);
        // Ended once the gateway answered: closing the channel first would make janus destroy the
        // handle, and the gateway answer 480 instead.
        sendMessage(Json::object().set("request", "decline").set("code", refusal),
                    [this](const Json&) { end("declined"); });
        return;
    }
    xmppUser_ = user->bare();
    sipJid_ = local + "@" + sipDomain_;
    sipUri_ = sipUri(*sip);
    if (withAudio) {
        calling_ = true;  // a Jingle call: startCall follows
        return;
    }
    sendMessage(Json::object().set("request", "accept"), [this](const Json& reply) {
        json_t* accepted = resultOf(reply);
        if (text(accepted ? json_object_get(accepted, "event") : nullptr) != "accepted")
            return end("the SIP gateway could not accept the chat session");
        chatting_ = true;
        hooks_.chatting(xmppUser_, sipJid_.substr(0, sipJid_.size() - sipDomain_.size() - 1));
        if (!chatting_)
            return;  // a newer session between the same users was accepted first: this one ended
        toXmpp("", ChatState::Active);  // XEP-0085: the session opens
        SYLK_LOG(LOG_INFO, kLog, "SIP chat session %s <-> %s", sipUri_.c_str(), xmppUser_.c_str());
    });
}

void StoxChatSession::toXmpp(const std::string& body, ChatState state) {
    ChatMessage message;
    message.from = sipJid_;
    message.to = xmppUser_;
    message.body = body;
    message.state = state;
    if (!body.empty())
        ++toXmppCount_;
    hooks_.send(chatMessage(message));
}

// A message of the session to alice: as the page-mode path (RFC 7572) maps a CPIM MESSAGE, an
// IMDN request becomes a receipt request and markable, the imdn.Message-ID the stanza id, so that
// her <displayed id/> names the message to the gateway's `displayed` (receiptToSip).
void StoxChatSession::messageToXmpp(json_t* result) {
    if (text(json_object_get(result, "content_type")).rfind("text/plain", 0) != 0)
        return;
    ChatMessage message;
    message.from = sipJid_;
    message.to = xmppUser_;
    message.body = text(json_object_get(result, "content"));
    message.state = ChatState::Active;  // XEP-0085 §5.1: a message ends composing
    std::string messageId = text(json_object_get(result, "message_id"));
    json_t* cpim = json_object_get(result, "cpim");
    std::string asked = cpim ? text(json_object_get(cpim, "disposition_notification")) : "";
    if (usableId(messageId)) {
        message.id = messageId;
        message.requestReceipt = asked.find("display") != std::string::npos || asked.find("delivery") != std::string::npos;
    }
    if (message.body.empty())
        return;
    ++toXmppCount_;
    hooks_.send(chatMessage(message));
}

// The SIP user's IMDN for a message alice sent in the session: a receipt (delivered) or a
// displayed marker for her stanza's id.
void StoxChatSession::imdnToXmpp(json_t* result) {
    auto found = stanzaIdOfImdn_.find(text(json_object_get(result, "message_id")));
    if (found == stanzaIdOfImdn_.end())
        return;  // not one of hers that asked, or forgotten
    std::string status = text(json_object_get(result, "status"));
    ChatMessage message;
    message.from = sipJid_;
    message.to = xmppUser_;
    if (status == "delivered")
        message.receivedId = found->second;
    else if (status == "displayed")
        message.displayedId = found->second;
    else
        return;  // failed, forbidden, ...: XEP-0184 and XEP-0333 have nothing for them
    hooks_.send(chatMessage(message));
}

// alice's XEP-0184 <received id/> (or XEP-0333 <received/> marker) for a message of the session
// is the gateway's `delivered`: the SIP user's delivered IMDN comes from her client, not from the
// gateway's hand-over (docs/decisions.md). Her <displayed id/> is the gateway's `displayed` (a
// displayed IMDN, and the delivered one first if no receipt came).
void StoxChatSession::receiptToSip(const ChatRead& chat) {
    if (usableId(chat.receivedId)) {
        sendMessage(Json::object().set("request", "delivered").set("message_id", chat.receivedId), [this](const Json& reply) {
            json_t* result = resultOf(reply);
            if (text(result ? json_object_get(result, "event") : nullptr) != "deliveredsent")
                SYLK_LOG(LOG_VERB, kLog, "SIP chat session %s: a receipt the SIP user did not ask for, dropped",
                         sipUri_.c_str());
        });
    }
    if (!usableId(chat.displayedId))
        return;
    sendMessage(Json::object().set("request", "displayed").set("message_id", chat.displayedId), [this](const Json& reply) {
        json_t* result = resultOf(reply);
        if (text(result ? json_object_get(result, "event") : nullptr) != "displayedsent")
            SYLK_LOG(LOG_VERB, kLog, "SIP chat session %s: a displayed marker the SIP user did not ask for, dropped",
                     sipUri_.c_str());
    });
}

void StoxChatSession::fromXmpp(const ChatRead& chat, const std::string& stanzaId) {
    if (!chatting_ || over_)
        return;
    if (chat.message.body && !chat.message.body->empty()) {
        ++toSipCount_;
        bool wantsImdn = (chat.receiptRequest || chat.markable) && usableId(stanzaId);
        Json request = Json::object();
        request.set("request", "message").set("content", *chat.message.body).setBool("imdn", wantsImdn);
        sendMessage(request, [this, wantsImdn, stanzaId](const Json& reply) {
            json_t* result = resultOf(reply);
            std::string messageId = result ? text(json_object_get(result, "message_id")) : "";
            if (!wantsImdn || messageId.empty())
                return;
            if (imdnOrder_.size() >= kMaxAwaitingImdn) {
                stanzaIdOfImdn_.erase(imdnOrder_.front());
                imdnOrder_.pop_front();
            }
            stanzaIdOfImdn_[messageId] = stanzaId;
            imdnOrder_.push_back(messageId);
        });
    }
    receiptToSip(chat);
    if (chat.message.state == ChatState::Gone) {  // XEP-0085 §5.1: the XMPP user left the chat
        chatting_ = false;  // her <gone/> is not echoed back when the gateway reports the hangup
        sendMessage(Json::object().set("request", "hangup"), [this](const Json&) { end("the XMPP user left"); });
    } else if (!chat.message.body && chat.message.state != ChatState::None) {
        sendMessage(Json::object().set("request", "composing").setBool("active", chat.message.state == ChatState::Composing));
    }
}

void StoxChatSession::replace() {
    if (!chatting_ || over_)
        return;
    chatting_ = false;  // alice stays in the conversation (the newer session): no <gone/> to her
    sendMessage(Json::object().set("request", "hangup"),
                [this](const Json&) { end("a newer session between the same users replaced it"); });
}

void StoxChatSession::end(const std::string& why) {
    if (over_)
        return;
    over_ = true;
    keepalive_.cancel();
    ringTimer_.cancel();
    SYLK_LOG(LOG_VERB, kLog, "SIP chat session %s <-> %s over: %s", sipUri_.c_str(), xmppUser_.c_str(), why.c_str());
    hooks_.ended();  // a waiting handle that failed (not taken): the owner tries again later
}

Json StoxChatSession::status() const {
    Json json = Json::object();
    json.set("xmpp_user", xmppUser_).set("sip_user", sipUri_).set("jid", sipJid_).setBool("chatting", chatting_)
        .set("to_xmpp", static_cast<json_int_t>(toXmppCount_)).set("to_sip", static_cast<json_int_t>(toSipCount_));
    if (calling_)
        json.set("call", Json::object().set("sid", sid_).set("peer", peerFull_).setBool("initiated", initiated_)
                             .setBool("accepted", callAccepted_).setBool("ringing", ringing_).setBool("retracted", retracted_));
    return json;
}

}  // namespace sylk::xmpp
