#include "push_request.hpp"

#include "sylkcore/json.hpp"

namespace sylk::push {
namespace {

bool isCall(PushEvent::Kind kind) {
    return kind == PushEvent::Kind::IncomingCall || kind == PushEvent::Kind::Cancel ||
           kind == PushEvent::Kind::ConferenceInvite;
}

// The fields every push carries, in Sylk Pushserver's names, so its apps read ours unchanged.
Json payloadData(const PushEvent& event) {
    Json data = Json::object();
    data.set("event", eventName(event.kind));
    if (!event.callId.empty())
        data.set("call-id", event.callId).set("session-id", event.callId);
    if (!event.from.empty())
        data.set("from_uri", event.from);
    if (!event.fromDisplay.empty())
        data.set("from_display_name", event.fromDisplay);
    if (!event.to.empty())
        data.set("to_uri", event.to);
    data.set("media-type", event.mediaType);
    if (!event.reason.empty())
        data.set("reason", event.reason);
    if (event.kind == PushEvent::Kind::Message)
        data.set("badge", event.badge);
    return data;
}

std::string alertTitle(const PushEvent& event) {
    const std::string& who = event.fromDisplay.empty() ? event.from : event.fromDisplay;
    switch (event.kind) {
    case PushEvent::Kind::MissedCall: return "Missed call from " + who;
    case PushEvent::Kind::Message: return "New message from " + who;
    case PushEvent::Kind::ConferenceInvite: return "Invitation to a conference from " + who;
    case PushEvent::Kind::IncomingCall: return "Incoming call from " + who;
    case PushEvent::Kind::Cancel: return "Call ended";
    }
    return who;
}

}  // namespace

const char* eventName(PushEvent::Kind kind) {
    switch (kind) {
    case PushEvent::Kind::IncomingCall: return "incoming_session";
    case PushEvent::Kind::Cancel: return "cancel";
    case PushEvent::Kind::MissedCall: return "missed_call";
    case PushEvent::Kind::Message: return "message";
    case PushEvent::Kind::ConferenceInvite: return "incoming_conference_request";
    }
    return "unknown";
}

std::string apnsPushType(const PushTarget& target, const PushEvent& event) {
    if (target.voip && isCall(event.kind))
        return "voip";
    if (target.silent || event.kind == PushEvent::Kind::Cancel)
        return "background";
    return "alert";
}

HttpRequest buildApnsRequest(const std::string& baseUrl, const PushTarget& target, const PushEvent& event,
                             const std::string& providerToken, int64_t now) {
    std::string type = apnsPushType(target, event);
    HttpRequest request;
    request.url = baseUrl + "/3/device/" + target.token;
    request.headers.emplace_back("authorization", "bearer " + providerToken);
    request.headers.emplace_back("apns-topic", type == "voip" ? target.app + ".voip" : target.app);
    request.headers.emplace_back("apns-push-type", type);
    request.headers.emplace_back("apns-priority", type == "background" ? "5" : "10");
    int64_t lifetime = isCall(event.kind) ? 60 : 86400;
    request.headers.emplace_back("apns-expiration", std::to_string(now + lifetime));
    if (!event.callId.empty() && isCall(event.kind))
        request.headers.emplace_back("apns-collapse-id", event.callId.substr(0, 64));
    Json aps = Json::object();
    if (type == "alert") {
        Json alert = Json::object();
        alert.set("title", alertTitle(event));
        aps.set("alert", std::move(alert)).set("sound", "default");
        if (event.kind == PushEvent::Kind::Message)
            aps.set("badge", event.badge);
    } else if (type == "background") {
        aps.set("content-available", 1);
    }
    Json body = payloadData(event);
    body.set("aps", std::move(aps));
    request.body = body.dump();
    return request;
}

HttpRequest buildFcmRequest(const std::string& baseUrl, const std::string& projectId, const PushTarget& target,
                            const PushEvent& event, const std::string& accessToken) {
    HttpRequest request;
    request.url = baseUrl + "/v1/projects/" + projectId + "/messages:send";
    request.headers.emplace_back("authorization", "Bearer " + accessToken);
    // FCM data values must be strings.
    Json data = Json::object();
    Json fields = payloadData(event);
    const char* key;
    json_t* value;
    json_object_foreach(fields.get(), key, value) {
        if (json_is_string(value))
            data.set(key, json_string_value(value));
        else if (json_is_integer(value))
            data.set(key, std::to_string(json_integer_value(value)));
    }
    Json android = Json::object();
    android.set("priority", (isCall(event.kind) || event.kind == PushEvent::Kind::Message) ? "high" : "normal");
    android.set("ttl", isCall(event.kind) ? "60s" : "86400s");
    Json message = Json::object();
    message.set("token", target.token).set("data", std::move(data)).set("android", std::move(android));
    Json body = Json::object();
    body.set("message", std::move(message));
    request.body = body.dump();
    return request;
}

HttpRequest buildTokenRequest(const std::string& tokenUrl, const std::string& assertion) {
    HttpRequest request;
    request.url = tokenUrl;
    request.contentType = "application/x-www-form-urlencoded";
    // The assertion is base64url and dots: nothing to escape.
    request.body = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=" + assertion;
    return request;
}

bool parseTokenResponse(const std::string& body, std::string& token, int64_t& expiresIn) {
    Json answer = Json::parse(body);
    json_t* access = answer.member("access_token");
    json_t* expires = answer.member("expires_in");
    if (!json_is_string(access) || json_string_length(access) == 0 || !json_is_integer(expires) ||
        json_integer_value(expires) <= 0)
        return false;
    token = json_string_value(access);
    expiresIn = json_integer_value(expires);
    return true;
}

Outcome classifyApns(long status, const std::string& body) {
    if (status == 200)
        return Outcome::Delivered;
    if (status == 410)
        return Outcome::Gone;
    Json answer = Json::parse(body);
    json_t* reason = answer.member("reason");
    std::string why = json_is_string(reason) ? json_string_value(reason) : "";
    if (status == 400 && (why == "BadDeviceToken" || why == "DeviceTokenNotForTopic"))
        return Outcome::Gone;
    if (status == 429 || status >= 500 || status == 0)
        return Outcome::Retry;
    if (status == 403 && why == "ExpiredProviderToken")
        return Outcome::Retry;
    return Outcome::Failed;
}

Outcome classifyFcm(long status, const std::string& body) {
    if (status == 200)
        return Outcome::Delivered;
    if (status == 404)
        return Outcome::Gone;
    if (body.find("UNREGISTERED") != std::string::npos)
        return Outcome::Gone;
    if (status == 429 || status >= 500 || status == 0 || status == 401)
        return Outcome::Retry;  // 401: the access token expired early; a new one is fetched
    return Outcome::Failed;
}

const char* outcomeName(Outcome outcome) {
    switch (outcome) {
    case Outcome::Delivered: return "delivered";
    case Outcome::Gone: return "gone";
    case Outcome::Retry: return "retry";
    case Outcome::Failed: return "failed";
    }
    return "unknown";
}

}  // namespace sylk::push
