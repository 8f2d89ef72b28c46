#include "jingle_sip_call.hpp"

#include <gloox/tag.h>
#include <jansson.h>

#include "jingle_namespaces.hpp"

namespace sylk::xmpp {
namespace {

constexpr char kRtpInfo[] = "urn:xmpp:jingle:apps:rtp:info:1";  // XEP-0167 §7 session-info

std::string text(json_t* value) { return json_is_string(value) ? json_string_value(value) : ""; }

// The gateway's "result" object of an event, or nullptr (an error).
json_t* resultIn(json_t* data) { return data ? json_object_get(data, "result") : nullptr; }

json_t* dataIn(const Json& message) {
    json_t* plugindata = message.member("plugindata");
    return plugindata ? json_object_get(plugindata, "data") : nullptr;
}

}  // namespace

std::string jingleReasonOfSip(int code) {
    switch (code) {
    case 200: return "success";           // BYE
    case 486: case 600: return "busy";
    case 603: return "decline";
    case 408: case 480: return "timeout";  // no answer, not reachable now
    case 404: case 410: case 484: case 604: return "gone";
    case 487: return "cancel";
    case 415: case 488: case 606: return "incompatible-parameters";
    default: return code >= 500 && code < 600 ? "failed-application" : "general-error";
    }
}

JingleSipCall::JingleSipCall(net::StackThread& thread, JingleSipCallSettings settings, Send send, std::function<void()> ended)
    : JingleSession(thread, settings, std::move(send), std::move(ended)),
      from_(std::move(settings.from)), display_(std::move(settings.display)), uri_(std::move(settings.uri)) {}

const char* JingleSipCall::plugin() const { return "janus.plugin.sylk.sip"; }

void JingleSipCall::attached() {
    // A guest: calls out only, with the caller's own address as From (no credentials of ours).
    Json body = Json::object();
    body.set("request", "register").set("type", "guest").set("username", from_).set("display_name", display_);
    sendMessage(body, [this](const Json& reply) { onRegistered(reply); });
}

void JingleSipCall::onRegistered(const Json& reply) {
    json_t* result = resultIn(dataIn(reply));
    if (text(result ? json_object_get(result, "event") : nullptr) != "registered")
        return end("failed-application", "the SIP gateway refused the caller " + from_ + ": " + jingleApiError(reply));
    Json body = Json::object();
    body.set("request", "call").set("uri", uri_);
    sendOffer(body, [this](const Json& reply) { onCalling(reply); });
}

void JingleSipCall::onCalling(const Json& reply) {
    json_t* data = dataIn(reply);
    json_t* result = resultIn(data);
    if (text(result ? json_object_get(result, "event") : nullptr) != "calling")
        return end("failed-application", "the SIP gateway refused the call: " + jingleApiError(reply));
    callId_ = text(json_object_get(data, "call_id"));
}

void JingleSipCall::answered(json_t* jsep) {
    if (answered_ || !jsep)
        return;
    answered_ = true;
    accept(text(json_object_get(jsep, "sdp")));
}

void JingleSipCall::pluginEvent(json_t* data, json_t* jsep) {
    json_t* result = resultIn(data);
    std::string event = text(result ? json_object_get(result, "event") : nullptr);
    if (event == "ringing" && !ringing_ && !answered_) {
        ringing_ = true;
        auto ringing = std::make_unique<gloox::Tag>("ringing", "xmlns", kRtpInfo);
        sendJingle("session-info", std::move(ringing));
    } else if (event == "progress" || event == "accepted") {
        answered(jsep);
    } else if (event == "hangup") {
        json_int_t code = json_integer_value(json_object_get(result, "code"));
        std::string reason = text(json_object_get(result, "reason"));
        end(jingleReasonOfSip(static_cast<int>(code)), "SIP " + std::to_string(code) + " " + reason);
    }
}

void JingleSipCall::peerHungUp() {
    // CANCEL before the answer, BYE after: the gateway knows which; closing the session follows.
    sendMessage(Json::object().set("request", "hangup"));
}

Json JingleSipCall::status() const {
    Json json = JingleSession::status();
    json.set("uri", uri_).set("from", from_).set("call_id", callId_).setBool("ringing", ringing_);
    return json;
}

}  // namespace sylk::xmpp
