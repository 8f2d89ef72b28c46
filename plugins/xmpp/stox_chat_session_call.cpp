// A SIP call to an XMPP user (issue 12) as a Jingle session (XEP-0166/0167/0176/0320), the
// reverse of JingleSipCall: the gateway's incomingcall offer (janus's SDP) becomes the Jingle
// content we initiate from the SIP user's JID. The callee's full JID comes from XEP-0353 Jingle
// Message Initiation: <propose/> to her bare JID, session-initiate to the resource that sends
// <proceed/>; <reject/> declines (603). Part of class StoxChatSession (stox_chat_session.hpp).
#include "stox_chat_session.hpp"

#include <gloox/tag.h>
#include <glib.h>
#include <jansson.h>

#include "jingle_namespaces.hpp"
#include "jingle_sip_call.hpp"
#include "sylkcore/log.hpp"

namespace sylk::xmpp {
namespace {

constexpr char kLog[] = "janus.plugin.sylk.xmpp";
constexpr char kJmi[] = "urn:xmpp:jingle-message:0";  // XEP-0353

std::string text(json_t* value) { return json_is_string(value) ? json_string_value(value) : ""; }

std::string midOf(const std::string& sdp) {
    size_t at = sdp.find("a=mid:");
    if (at == std::string::npos)
        return "0";
    size_t end = sdp.find_first_of("\r\n", at);
    return sdp.substr(at + 6, end == std::string::npos ? std::string::npos : end - at - 6);
}

}  // namespace

void StoxChatSession::startCall(json_t* jsep) {
    std::string sdp = jsep ? text(json_object_get(jsep, "sdp")) : "";
    std::string error;
    auto content = JingleSdp::answer(sdp, midOf(sdp), error);
    if (!content) {
        SYLK_LOG(LOG_WARN, kLog, "a SIP call to %s: the offer cannot be Jingle: %s", xmppUser_.c_str(), error.c_str());
        sendMessage(Json::object().set("request", "decline").set("code", 488), [this](const Json&) { end("no offer"); });
        return;
    }
    offer_ = *content;
    offer_.name = midOf(sdp);
    offer_.creator = "initiator";
    sid_ = "sylk-" + std::to_string(g_get_real_time()) + "-" + std::to_string(g_random_int());
    hooks_.calling(sid_);
    auto message = std::make_unique<gloox::Tag>("message");
    message->addAttribute("from", sipJid_);
    message->addAttribute("to", xmppUser_);
    message->addAttribute("id", sid_);
    auto* propose = new gloox::Tag(message.get(), "propose", "xmlns", kJmi);
    propose->addAttribute("id", sid_);
    auto* description = new gloox::Tag(propose, "description", "xmlns", jingle_ns::kRtp);
    description->addAttribute("media", "audio");
    // XEP-0184 on the propose: a client that does not send <ringing/> still says it has it.
    new gloox::Tag(message.get(), "request", "xmlns", ns::kReceipts);
    new gloox::Tag(message.get(), "store", "xmlns", "urn:xmpp:hints");
    hooks_.send(std::move(message));
    // Nobody proceeds in time: 480 to the caller and a retract to her devices (they stop ringing).
    ringTimer_ = thread_.after(ringTimeout_, [this] { ringTimedOut(); });
    SYLK_LOG(LOG_INFO, kLog, "SIP call %s -> %s: Jingle %s proposed", sipUri_.c_str(), xmppUser_.c_str(), sid_.c_str());
}

void StoxChatSession::onJingleMessage(const gloox::Tag& message, const StanzaHeader& header) {
    if (over_ || initiated_ || !header.from || header.from->bare() != xmppUser_)
        return;
    if (message.findChild("ringing", "xmlns", kJmi) || message.findChild("received", "xmlns", ns::kReceipts)) {
        ringing();
        return;
    }
    if (message.findChild("reject", "xmlns", kJmi)) {
        ringTimer_.cancel();
        sendMessage(Json::object().set("request", "decline").set("code", 603), [this](const Json&) { end("rejected"); });
        return;
    }
    if (!message.findChild("proceed", "xmlns", kJmi))
        return;
    ringTimer_.cancel();
    peerFull_ = header.from->full();
    initiated_ = sendJingle("session-initiate", JingleSdp::contentTag(offer_, false));
    for (const auto& line : pendingTrickles_)
        trickle(line);
    pendingTrickles_.clear();
}

void StoxChatSession::onJingleIq(const gloox::Tag& iq, const StanzaHeader& header) {
    hooks_.send(iqResult(iq));
    if (over_ || !header.from || header.from->full() != peerFull_)
        return;
    const gloox::Tag* jingle = iq.findChild("jingle", "xmlns", jingle_ns::kJingle);
    JingleRead read = JingleSdp::read(*jingle);
    if (!read.error.empty())
        return;
    if (read.action == "session-accept" && !callAccepted_ && !read.contents.empty()) {
        callAccepted_ = true;
        JingleContent answer = read.contents.front();
        answer.name = offer_.name;
        Json jsep = Json::object();
        jsep.set("type", "answer").set("sdp", JingleSdp::offer(answer, static_cast<uint64_t>(g_get_real_time())));
        Json request = Json::object();
        request.set("janus", "message").set("session_id", static_cast<json_int_t>(sessionId_))
            .set("handle_id", static_cast<json_int_t>(handleId_))
            .set("body", Json::object().set("request", "accept")).set("jsep", jsep);
        sendApi(request);
        for (const auto& candidate : answer.candidates) {
            Json line = Json::object();
            line.set("sdpMid", offer_.name).set("sdpMLineIndex", 0).set("candidate", JingleSdp::candidateLine(candidate));
            sendApi(Json::object().set("janus", "trickle").set("session_id", static_cast<json_int_t>(sessionId_))
                        .set("handle_id", static_cast<json_int_t>(handleId_)).set("candidate", line));
        }
    } else if (read.action == "transport-info") {
        for (const auto& content : read.contents) {
            for (const auto& candidate : content.candidates) {
                Json line = Json::object();
                line.set("sdpMid", offer_.name).set("sdpMLineIndex", 0).set("candidate", JingleSdp::candidateLine(candidate));
                sendApi(Json::object().set("janus", "trickle").set("session_id", static_cast<json_int_t>(sessionId_))
                            .set("handle_id", static_cast<json_int_t>(handleId_)).set("candidate", line));
            }
        }
    } else if (read.action == "session-terminate") {
        initiated_ = false;  // nothing to send back
        sendMessage(Json::object().set("request", callAccepted_ ? "hangup" : "decline"),
                    [this](const Json&) { end("the XMPP user hung up"); });
    }
}

void StoxChatSession::trickle(const std::string& line) {
    if (!initiated_) {
        if (pendingTrickles_.size() < 64)
            pendingTrickles_.push_back(line);
        return;
    }
    auto parsed = JingleSdp::parseCandidate(line);
    if (!parsed || parsed->protocol != "udp")
        return;
    JingleContent transport;
    transport.name = offer_.name;
    transport.creator = "initiator";
    transport.ufrag = offer_.ufrag;
    transport.pwd = offer_.pwd;
    transport.candidates.push_back(*parsed);
    sendJingle("transport-info", JingleSdp::contentTag(transport, true));
}

void StoxChatSession::callEvent(const std::string& event, json_t* result) {
    if (event != "hangup")
        return;
    int code = static_cast<int>(json_integer_value(json_object_get(result, "code")));
    if (initiated_) {
        sendJingle("session-terminate", nullptr, jingleReasonOfSip(code));
        initiated_ = false;
    } else if (!sid_.empty() && !over_) {
        retract();  // XEP-0353: the caller gave up
    }
    end("SIP " + std::to_string(code) + " " + text(json_object_get(result, "reason")));
}

void StoxChatSession::retract() {
    if (retracted_)
        return;
    retracted_ = true;
    auto message = std::make_unique<gloox::Tag>("message");
    message->addAttribute("from", sipJid_);
    message->addAttribute("to", xmppUser_);
    (new gloox::Tag(message.get(), "retract", "xmlns", kJmi))->addAttribute("id", sid_);
    new gloox::Tag(message.get(), "store", "xmlns", "urn:xmpp:hints");
    hooks_.send(std::move(message));
}

// A resource of hers rings (XEP-0353 <ringing/>, or a receipt for the propose): the caller
// hears it ring (180) from now, not from the INVITE (the gateway holds its 180 for us).
void StoxChatSession::ringing() {
    if (ringing_ || initiated_ || over_)
        return;
    ringing_ = true;
    sendMessage(Json::object().set("request", "ringing"));
}

void StoxChatSession::ringTimedOut() {
    if (initiated_ || over_)
        return;
    SYLK_LOG(LOG_INFO, kLog, "SIP call %s -> %s: nobody proceeded in %lld ms, 480", sipUri_.c_str(), xmppUser_.c_str(),
             static_cast<long long>(ringTimeout_.count()));
    retract();
    sendMessage(Json::object().set("request", "decline").set("code", 480),
                [this](const Json&) { end("nobody proceeded"); });
}

bool StoxChatSession::sendJingle(const std::string& action, TagPtr content, const std::string& reason) {
    auto iq = std::make_unique<gloox::Tag>("iq");
    iq->addAttribute("type", "set");
    iq->addAttribute("from", sipJid_);
    iq->addAttribute("to", peerFull_);
    iq->addAttribute("id", "sylk-call-" + std::to_string(nextIq_++));
    auto* jingle = new gloox::Tag(iq.get(), "jingle", "xmlns", jingle_ns::kJingle);
    jingle->addAttribute("action", action);
    jingle->addAttribute("sid", sid_);
    if (action == "session-initiate")
        jingle->addAttribute("initiator", sipJid_);
    if (content)
        jingle->addChild(content.release());
    if (!reason.empty()) {
        auto* element = new gloox::Tag(jingle, "reason");
        new gloox::Tag(element, reason);
    }
    return hooks_.send(std::move(iq));
}

}  // namespace sylk::xmpp
