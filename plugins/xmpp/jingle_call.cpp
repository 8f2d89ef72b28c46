#include "jingle_call.hpp"

#include <jansson.h>

namespace sylk::xmpp {
namespace {

std::string text(json_t* value) { return json_is_string(value) ? json_string_value(value) : ""; }

}  // namespace

JingleCall::JingleCall(net::StackThread& thread, JingleCallSettings settings, Send send, std::function<void()> ended)
    : JingleSession(thread, settings, std::move(send), std::move(ended)),
      room_(std::move(settings.room)), display_(std::move(settings.display)), pin_(std::move(settings.pin)) {}

const char* JingleCall::plugin() const { return "janus.plugin.sylk.audiomixer"; }

void JingleCall::attached() {
    Json body = Json::object();
    body.set("request", "join").set("room", room_).set("display", display_);
    if (!pin_.empty())
        body.set("pin", pin_);  // a protected room's audio: the PIN its occupant was admitted with
    sendOffer(body, [this](const Json& reply) { onJoined(reply); });
}

void JingleCall::onJoined(const Json& message) {
    json_t* plugindata = message.member("plugindata");
    json_t* data = plugindata ? json_object_get(plugindata, "data") : nullptr;
    json_t* jsep = message.member("jsep");
    if (!data || text(json_object_get(data, "audiobridge")) != "joined" || !jsep)
        return end("failed-application", "the room refused the call: " + jingleApiError(message));
    if (json_t* id = json_object_get(data, "id"); json_is_integer(id))
        participantId_ = json_integer_value(id);
    accept(text(json_object_get(jsep, "sdp")));
}

void JingleCall::pluginEvent(json_t* data, json_t*) {
    // Kicked, or the room destroyed: the mixer tells its participant with these.
    if (text(json_object_get(data, "audiobridge")) == "destroyed" ||
        json_integer_value(json_object_get(data, "kicked")) == participantId_)
        end("success", "the room ended the call");
}

Json JingleCall::status() const {
    Json json = JingleSession::status();
    json.set("room", room_).set("participant", static_cast<json_int_t>(participantId_));
    return json;
}

}  // namespace sylk::xmpp
