#include "jingle_call.hpp"

#include <gloox/tag.h>
#include <jansson.h>

#include <chrono>

#include "jingle_namespaces.hpp"
#include "jingle_sdp.hpp"
#include "sylkcore/log.hpp"

namespace sylk::xmpp {
namespace {

constexpr char kLog[] = "janus.plugin.sylk.xmpp";
constexpr char kMixer[] = "janus.plugin.sylk.audiomixer";
// Janus drops a session without a request for session_timeout (60 s by default).
constexpr std::chrono::seconds kKeepalive{20};

std::string text(json_t* value) { return json_is_string(value) ? json_string_value(value) : ""; }

int64_t idIn(const Json& reply) {
    json_t* data = reply.member("data");
    json_t* id = data ? json_object_get(data, "id") : nullptr;
    return json_is_integer(id) ? json_integer_value(id) : 0;
}

// janus's own error, or the plugin's: the text of whichever the message carries.
std::string errorIn(const Json& message) {
    if (json_t* error = message.member("error"))
        return text(json_object_get(error, "reason"));
    json_t* plugindata = message.member("plugindata");
    json_t* data = plugindata ? json_object_get(plugindata, "data") : nullptr;
    if (data && json_object_get(data, "error"))
        return text(json_object_get(data, "error"));
    return {};
}

}  // namespace

JingleCall::JingleCall(net::StackThread& thread, JingleCallSettings settings, Send send, std::function<void()> ended)
    : thread_(thread), settings_(std::move(settings)), send_(std::move(send)), ended_(std::move(ended)) {}

JingleCall::~JingleCall() {
    keepalive_.cancel();
    // Closing the channel makes janus destroy the session: the handle hangs up and leaves the mix.
    channel_.reset();
}

void JingleCall::sendApi(Json message, hub::ApiChannel::Handler onReply) {
    try {
        channel_->request(std::move(message), std::move(onReply));
    } catch (const std::exception& e) {
        // The loopback transport went (janus is stopping): the call cannot go on.
        end("failed-application", std::string("the Janus API is gone: ") + e.what());
    }
}

void JingleCall::start() {
    channel_ = std::make_unique<hub::ApiChannel>([this](std::function<void()> work) { return thread_.post(std::move(work)); },
                                                 [this](const Json& message) { onEvent(message); });
    sendApi(Json::object().set("janus", "create"), [this](const Json& reply) {
        sessionId_ = idIn(reply);
        if (!sessionId_)
            return end("failed-application", "janus: " + errorIn(reply));
        keepalive_ = thread_.every(kKeepalive, [this] {
            if (!over_)
                sendApi(Json::object().set("janus", "keepalive").set("session_id", static_cast<json_int_t>(sessionId_)));
        });
        attach();
    });
}

void JingleCall::attach() {
    Json request = Json::object();
    request.set("janus", "attach").set("session_id", static_cast<json_int_t>(sessionId_)).set("plugin", kMixer);
    sendApi(request, [this](const Json& reply) {
        handleId_ = idIn(reply);
        if (!handleId_)
            return end("failed-application", "the audio mixer is not available: " + errorIn(reply));
        join();
    });
}

void JingleCall::join() {
    Json body = Json::object();
    body.set("request", "join").set("room", settings_.room).set("display", settings_.display);
    Json jsep = Json::object();
    jsep.set("type", "offer").set("sdp", JingleSdp::offer(settings_.offer, static_cast<uint64_t>(g_get_real_time())));
    // Janus answers with every candidate it has gathered; the peer's come as trickles.
    jsep.setBool("trickle", false);
    Json request = Json::object();
    request.set("janus", "message").set("session_id", static_cast<json_int_t>(sessionId_))
        .set("handle_id", static_cast<json_int_t>(handleId_)).set("body", body).set("jsep", jsep);
    sendApi(request, [this](const Json& reply) { onJoined(reply); });
    joinSent_ = true;
    for (const auto& line : pendingCandidates_)
        trickle(line);
    pendingCandidates_.clear();
}

void JingleCall::onJoined(const Json& message) {
    json_t* plugindata = message.member("plugindata");
    json_t* data = plugindata ? json_object_get(plugindata, "data") : nullptr;
    json_t* jsep = message.member("jsep");
    if (!data || text(json_object_get(data, "audiobridge")) != "joined" || !jsep)
        return end("failed-application", "the room refused the call: " + errorIn(message));
    if (json_t* id = json_object_get(data, "id"); json_is_integer(id))
        participantId_ = json_integer_value(id);
    std::string error;
    auto answer = JingleSdp::answer(text(json_object_get(jsep, "sdp")), settings_.offer.name, error);
    if (!answer)
        return end("failed-application", "the mixer's answer: " + error);
    answer->name = settings_.offer.name;
    answer->creator = settings_.offer.creator;
    candidatesOut_ += answer->candidates.size();
    if (sendJingle("session-accept", JingleSdp::contentTag(*answer, false)))
        accepted_ = true;
    SYLK_LOG(LOG_INFO, kLog, "Jingle call %s from %s joined room %s (mixer participant %lld, %zu candidates)",
             settings_.sid.c_str(), settings_.peer.c_str(), settings_.room.c_str(),
             static_cast<long long>(participantId_), answer->candidates.size());
}

void JingleCall::onEvent(const Json& message) {
    std::string kind = text(message.member("janus"));
    if (kind == "webrtcup") {
        mediaUp_ = true;
    } else if (kind == "trickle") {
        json_t* candidate = message.member("candidate");
        std::string line = candidate ? text(json_object_get(candidate, "candidate")) : "";
        if (auto parsed = JingleSdp::parseCandidate(line); parsed && parsed->protocol == "udp" && accepted_) {
            JingleContent transport;
            transport.name = settings_.offer.name;
            transport.creator = settings_.offer.creator;
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
        // Kicked, or the room destroyed: the mixer tells its participant with these.
        if (data && (text(json_object_get(data, "audiobridge")) == "destroyed" ||
                     json_integer_value(json_object_get(data, "kicked")) == participantId_))
            end("success", "the room ended the call");
    }
}

void JingleCall::remoteCandidates(const JingleContent& transport) {
    for (const auto& candidate : transport.candidates) {
        ++candidatesIn_;
        std::string line = JingleSdp::candidateLine(candidate);
        if (joinSent_)
            trickle(line);
        else
            pendingCandidates_.push_back(line);
    }
}

void JingleCall::trickle(const std::string& candidateLine) {
    if (over_ || !channel_)
        return;
    Json candidate = Json::object();
    candidate.set("sdpMid", settings_.offer.name).set("sdpMLineIndex", 0).set("candidate", candidateLine);
    Json request = Json::object();
    request.set("janus", "trickle").set("session_id", static_cast<json_int_t>(sessionId_))
        .set("handle_id", static_cast<json_int_t>(handleId_)).set("candidate", candidate);
    sendApi(request);
}

void JingleCall::terminatedByPeer() {
    if (over_)
        return;
    over_ = true;
    SYLK_LOG(LOG_INFO, kLog, "Jingle call %s from %s left room %s (peer ended it)", settings_.sid.c_str(),
             settings_.peer.c_str(), settings_.room.c_str());
    ended_();
}

void JingleCall::end(const std::string& reason, const std::string& why) {
    if (over_)
        return;
    over_ = true;
    SYLK_LOG(LOG_INFO, kLog, "Jingle call %s from %s in room %s ends: %s", settings_.sid.c_str(),
             settings_.peer.c_str(), settings_.room.c_str(), why.c_str());
    sendJingle("session-terminate", nullptr, reason, why);
    ended_();
}

bool JingleCall::sendJingle(const std::string& action, TagPtr content, const std::string& reason, const std::string& why) {
    auto iq = std::make_unique<gloox::Tag>("iq");
    iq->addAttribute("type", "set");
    iq->addAttribute("from", settings_.roomJid);
    iq->addAttribute("to", settings_.peer);
    iq->addAttribute("id", "jingle-" + settings_.sid.substr(0, 32) + "-" + std::to_string(nextStanza_++));
    auto* jingle = new gloox::Tag(iq.get(), "jingle", "xmlns", jingle_ns::kJingle);
    jingle->addAttribute("action", action);
    jingle->addAttribute("sid", settings_.sid);
    if (action == "session-accept") {
        jingle->addAttribute("initiator", settings_.initiator);
        jingle->addAttribute("responder", settings_.roomJid);
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

Json JingleCall::status() const {
    Json json = Json::object();
    json.set("sid", settings_.sid).set("peer", settings_.peer).set("room", settings_.room)
        .set("participant", static_cast<json_int_t>(participantId_))
        .setBool("accepted", accepted_).setBool("media_up", mediaUp_)
        .set("candidates_in", static_cast<json_int_t>(candidatesIn_))
        .set("candidates_out", static_cast<json_int_t>(candidatesOut_));
    return json;
}

}  // namespace sylk::xmpp
