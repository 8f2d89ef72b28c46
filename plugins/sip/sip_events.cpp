#include "sip_events.hpp"

#include <algorithm>
#include <iterator>

namespace sylk::sip {
namespace {

std::string stringOf(const Json& json, const char* key) {
    json_t* value = json.member(key);
    return json_is_string(value) ? json_string_value(value) : "";
}

// Copies key from result when it is there.
void copy(Json& to, const Json& result, const char* key, const char* as = nullptr) {
    if (json_t* value = result.member(key))
        to.set(as ? as : key, Json::borrow(value));
}

// The results the stock plugin reports, all pushed on the SIP thread. The others (DTMF from
// RTP comes from the RTP receiver thread) are turned down before the session is read.
bool reported(const std::string& name) {
    static const char* const kReported[] = {"registered", "unregistered", "registration_failed", "unregistration_failed",
                                            "calling", "incomingcall", "missed_call", "ringing", "proceeding",
                                            "progress", "accepted", "declining", "hangup", "holding", "resuming",
                                            "transfer_accepted", "transfer_failed"};
    return std::any_of(std::begin(kReported), std::end(kReported), [&](const char* known) { return name == known; });
}

}  // namespace

Json SipEvents::fromGatewayResult(const GatewaySession& session, const std::string& givenCallId, const Json& result) {
    std::string name = stringOf(result, "event");
    if (!reported(name))
        return Json();
    std::string callId = !givenCallId.empty() ? givenCallId : stringOf(result, "call_id");
    if (callId.empty())
        callId = session.call.callId;
    const SipAccount& account = session.account;
    Json event = Json::object();
    auto withCallId = [&] {
        if (!callId.empty())
            event.set("call-id", callId);
    };
    if (name == "registered" || name == "unregistered") {
        // unregister() clears the account before the event: its result names the AOR.
        std::string identity = stringOf(result, "username");
        event.set("event", name).set("identity", identity.empty() ? account.aor : identity);
        if (name == "registered") {
            json_t* sent = result.member("register_sent");
            event.set("type", json_is_false(sent) ? "guest" : "sip");
            if (!account.registrar.empty())
                event.set("proxy", account.registrar);
        }
    } else if (name == "registration_failed" || name == "unregistration_failed") {
        event.set("event", name);
        copy(event, result, "code");
        copy(event, result, "reason");
    } else if (name == "calling") {
        event.set("event", "calling").set("callee", session.call.peerUri);
        withCallId();
    } else if (name == "incomingcall") {
        event.set("event", "incomingcall");
        withCallId();
        copy(event, result, "username");
        copy(event, result, "displayname");
        copy(event, result, "callee");
        copy(event, result, "codec");
    } else if (name == "missed_call") {
        event.set("event", "missed_call");
        withCallId();
        copy(event, result, "caller");
        copy(event, result, "callee");
    } else if (name == "ringing" || name == "proceeding") {
        event.set("event", "proceeding");
        withCallId();
        copy(event, result, "code");
        if (!event.member("code"))
            event.set("code", name == "ringing" ? 180 : 183);
    } else if (name == "progress" || name == "accepted") {
        event.set("event", name);
        withCallId();
        event.set("username", session.call.peerUri);
        copy(event, result, "codec");
        copy(event, result, "transcoding");
        copy(event, result, "srtp");
    } else if (name == "declining") {
        event.set("event", "declined").set("callee", account.aor);
        withCallId();
        copy(event, result, "code");
    } else if (name == "hangup") {
        event.set("event", "hangup");
        withCallId();
        copy(event, result, "code");
        copy(event, result, "reason");
    } else if (name == "holding" || name == "resuming" || name == "transfer_accepted" || name == "transfer_failed") {
        event.set("event", name);
        withCallId();
    } else {
        return Json();
    }
    return event;
}

Json SipEvents::phone(const char* name, const Phone& phone) {
    Json event = Json::object();
    event.set("event", name)
        .set("room", phone.room)
        .set("id", static_cast<json_int_t>(phone.legId))
        .set("display", phone.display)
        .set("uri", phone.uri)
        .set("call-id", phone.callId)
        .set("codec", phone.codec)
        .setBool("srtp", phone.srtp)
        .setBool("chat", phone.chat)
        .set("direction", phone.dialOut ? "dialout" : "incoming");
    return event;
}

}  // namespace sylk::sip
