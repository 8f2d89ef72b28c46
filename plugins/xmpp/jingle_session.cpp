#include "jingle_session.hpp"

#include <gloox/tag.h>
#include <jansson.h>

#include <chrono>

#include "jingle_namespaces.hpp"
#include "jingle_sdp.hpp"
#include "sylkcore/log.hpp"

namespace sylk::xmpp {
namespace {

constexpr char kLog[] = "janus.plugin.sylk.xmpp";
// Janus drops a session without a request for session_timeout (60 s by default).
constexpr std::chrono::seconds kKeepalive{20};

std::string text(json_t* value) { return json_is_string(value) ? json_string_value(value) : ""; }

int64_t idIn(const Json& reply) {
    json_t* data = reply.member("data");
    json_t* id = data ? json_object_get(data, "id") : nullptr;
    return json_is_integer(id) ? json_integer_value(id) : 0;
}

}  // namespace

std::string jingleApiError(const Json& message) {
    if (json_t* error = message.member("error"))
        return text(json_object_get(error, "reason"));
    json_t* plugindata = message.member("plugindata");
    json_t* data = plugindata ? json_object_get(plugindata, "data") : nullptr;
    if (data && json_object_get(data, "error"))
        return text(json_object_get(data, "error"));
    return {};
}

JingleSession::JingleSession(net::StackThread& thread, JingleSessionSettings settings, Send send, std::function<void()> ended)
    : thread_(thread), session_(std::move(settings)), send_(std::move(send)), ended_(std::move(ended)) {}

JingleSession::~JingleSession() {
    keepalive_.cancel();
    // Closing the channel makes janus destroy the session: the handle hangs up.
    channel_.reset();
}

void JingleSession::sendApi(Json message, hub::ApiChannel::Handler onReply) {
    try {
        channel_->request(std::move(message), std::move(onReply));
    } catch (const std::exception& e) {
        // The loopback transport went (janus is stopping): the call cannot go on.
        end("failed-application", std::string("the Janus API is gone: ") + e.what());
    }
}

void JingleSession::start() {
    channel_ = std::make_unique<hub::ApiChannel>([this](std::function<void()> work) { return thread_.post(std::move(work)); },
                                                 [this](const Json& message) { onEvent(message); });
    sendApi(Json::object().set("janus", "create"), [this](const Json& reply) {
        sessionId_ = idIn(reply);
        if (!sessionId_)
            return end("failed-application", "janus: " + jingleApiError(reply));
        keepalive_ = thread_.every(kKeepalive, [this] {
            if (!over_)
                sendApi(Json::object().set("janus", "keepalive").set("session_id", static_cast<json_int_t>(sessionId_)));
        });
        attach();
    });
}

void JingleSession::attach() {
    Json request = Json::object();
    request.set("janus", "attach").set("session_id", static_cast<json_int_t>(sessionId_)).set("plugin", plugin());
    sendApi(request, [this](const Json& reply) {
        handleId_ = idIn(reply);
        if (!handleId_)
            return end("failed-application", std::string(plugin()) + " is not available: " + jingleApiError(reply));
        attached();
    });
}

void JingleSession::sendMessage(Json body, hub::ApiChannel::Handler reply) {
    if (over_)
        return;
    Json request = Json::object();
    request.set("janus", "message").set("session_id", static_cast<json_int_t>(sessionId_))
        .set("handle_id", static_cast<json_int_t>(handleId_)).set("body", body);
    sendApi(request, std::move(reply));
}

void JingleSession::sendOffer(Json body, hub::ApiChannel::Handler reply) {
    if (over_)
        return;
    Json jsep = Json::object();
    jsep.set("type", "offer").set("sdp", JingleSdp::offer(session_.offer, static_cast<uint64_t>(g_get_real_time())));
    // Janus answers with every candidate it has gathered; the peer's come as trickles.
    jsep.setBool("trickle", false);
    Json request = Json::object();
    request.set("janus", "message").set("session_id", static_cast<json_int_t>(sessionId_))
        .set("handle_id", static_cast<json_int_t>(handleId_)).set("body", body).set("jsep", jsep);
    sendApi(request, std::move(reply));
    offerSent_ = true;
    for (const auto& line : pendingCandidates_)
        trickle(line);
    pendingCandidates_.clear();
}

bool JingleSession::accept(const std::string& sdp) {
    std::string error;
    auto answer = JingleSdp::answer(sdp, session_.offer.name, error);
    if (!answer) {
        end("failed-application", "the answer: " + error);
        return false;
    }
    answer->name = session_.offer.name;
    answer->creator = session_.offer.creator;
    candidatesOut_ += answer->candidates.size();
    if (sendJingle("session-accept", JingleSdp::contentTag(*answer, false)))
        accepted_ = true;
    SYLK_LOG(LOG_INFO, kLog, "Jingle call %s from %s to %s accepted (%zu candidates)", session_.sid.c_str(),
             session_.peer.c_str(), target().c_str(), answer->candidates.size());
    return accepted_;
}

void JingleSession::onEvent(const Json& message) {
    std::string kind = text(message.member("janus"));
    if (kind == "webrtcup") {
        mediaUp_ = true;
    } else if (kind == "trickle") {
        json_t* candidate = message.member("candidate");
        std::string line = candidate ? text(json_object_get(candidate, "candidate")) : "";
        if (auto parsed = JingleSdp::parseCandidate(line); parsed && parsed->protocol == "udp" && accepted_) {
            JingleContent transport;
            transport.name = session_.offer.name;
            transport.creator = session_.offer.creator;
            transport.candidates.push_back(*parsed);
            ++candidatesOut_;
            sendJingle("transport-info", JingleSdp::contentTag(transport, true));
        }
    } else if (kind == "hangup") {
        end("connectivity-error", "janus hung up: " + text(message.member("reason")));
    } else if (kind == "detached" || kind == "timeout") {
        end("failed-application", "the janus session ended (" + kind + ")");
    } else if (kind == "event") {
        json_t* plugindata = message.member("plugindata");
        json_t* data = plugindata ? json_object_get(plugindata, "data") : nullptr;
        if (data)
            pluginEvent(data, message.member("jsep"));
    }
}

void JingleSession::remoteCandidates(const JingleContent& transport) {
    for (const auto& candidate : transport.candidates) {
        ++candidatesIn_;
        std::string line = JingleSdp::candidateLine(candidate);
        if (offerSent_)
            trickle(line);
        else
            pendingCandidates_.push_back(line);
    }
}

void JingleSession::trickle(const std::string& candidateLine) {
    if (over_ || !channel_)
        return;
    Json candidate = Json::object();
    candidate.set("sdpMid", session_.offer.name).set("sdpMLineIndex", 0).set("candidate", candidateLine);
    Json request = Json::object();
    request.set("janus", "trickle").set("session_id", static_cast<json_int_t>(sessionId_))
        .set("handle_id", static_cast<json_int_t>(handleId_)).set("candidate", candidate);
    sendApi(request);
}

void JingleSession::terminatedByPeer() {
    if (over_)
        return;
    if (handleId_)
        peerHungUp();
    over_ = true;
    SYLK_LOG(LOG_INFO, kLog, "Jingle call %s from %s to %s: the peer ended it", session_.sid.c_str(),
             session_.peer.c_str(), target().c_str());
    ended_();
}

void JingleSession::end(const std::string& reason, const std::string& why) {
    if (over_)
        return;
    over_ = true;
    SYLK_LOG(LOG_INFO, kLog, "Jingle call %s from %s to %s ends: %s", session_.sid.c_str(), session_.peer.c_str(),
             target().c_str(), why.c_str());
    sendJingle("session-terminate", nullptr, reason, why);
    ended_();
}

bool JingleSession::sendJingle(const std::string& action, TagPtr content, const std::string& reason, const std::string& why) {
    auto iq = std::make_unique<gloox::Tag>("iq");
    iq->addAttribute("type", "set");
    iq->addAttribute("from", session_.ourJid);
    iq->addAttribute("to", session_.peer);
    iq->addAttribute("id", "jingle-" + session_.sid.substr(0, 32) + "-" + std::to_string(nextStanza_++));
    auto* jingle = new gloox::Tag(iq.get(), "jingle", "xmlns", jingle_ns::kJingle);
    jingle->addAttribute("action", action);
    jingle->addAttribute("sid", session_.sid);
    if (action == "session-accept") {
        jingle->addAttribute("initiator", session_.initiator);
        jingle->addAttribute("responder", session_.ourJid);
    }
    if (content)
        jingle->addChild(content.release());
    if (!reason.empty()) {
        auto* element = new gloox::Tag(jingle, "reason");
        new gloox::Tag(element, reason);
        if (!why.empty())
            new gloox::Tag(element, "text", why);
    }
    return send_(std::move(iq));
}

Json JingleSession::status() const {
    Json json = Json::object();
    json.set("sid", session_.sid).set("peer", session_.peer)
        .setBool("accepted", accepted_).setBool("media_up", mediaUp_)
        .set("candidates_in", static_cast<json_int_t>(candidatesIn_))
        .set("candidates_out", static_cast<json_int_t>(candidatesOut_));
    return json;
}

}  // namespace sylk::xmpp
