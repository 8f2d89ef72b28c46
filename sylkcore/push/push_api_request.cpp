#include "push_api_request.hpp"

#include <algorithm>

#include "pn_params.hpp"
#include "push_service.hpp"

namespace sylk::push {
namespace {

bool validAccount(std::string_view account) {
    if (account.empty() || account.size() > 256 || account.find('@') == std::string_view::npos)
        return false;
    for (unsigned char c : account) {
        if (c <= 0x20 || c >= 0x7f || c == '/' || c == '"' || c == '\\')
            return false;
    }
    return true;
}

bool validDevice(std::string_view device) {
    if (device.empty() || device.size() > 256)
        return false;
    for (unsigned char c : device) {
        if (c <= 0x20 || c >= 0x7f || c == '/' || c == '"' || c == '\\')
            return false;
    }
    return true;
}

// A string member no longer than limit; absent is "" unless required.
bool stringField(const Json& body, const char* name, size_t limit, bool required, std::string& out,
                 std::string* error) {
    json_t* value = body.member(name);
    if (!value) {
        if (required)
            *error = std::string("missing \"") + name + "\"";
        return !required;
    }
    if (!json_is_string(value) || json_string_length(value) > limit ||
        (required && json_string_length(value) == 0)) {
        *error = std::string("\"") + name + "\" must be a string of at most " + std::to_string(limit) + " characters";
        return false;
    }
    out.assign(json_string_value(value), json_string_length(value));
    if (out.find('\0') != std::string::npos) {
        *error = std::string("\"") + name + "\" contains a NUL";
        return false;
    }
    return true;
}

bool boolField(const Json& body, const char* name, bool& out, std::string* error) {
    json_t* value = body.member(name);
    if (!value)
        return true;
    if (json_is_boolean(value)) {
        out = json_is_true(value);
        return true;
    }
    if (json_is_string(value)) {  // Sylk Pushserver's clients send "true"/"false" too
        std::string text = json_string_value(value);
        if (text == "true" || text == "1") { out = true; return true; }
        if (text == "false" || text == "0") { out = false; return true; }
    }
    *error = std::string("\"") + name + "\" must be a boolean";
    return false;
}

}  // namespace

std::string providerForPlatform(const std::string& platform) {
    std::string p = platform;
    std::transform(p.begin(), p.end(), p.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (p == "apple" || p == "ios" || p == "apns")
        return "apns";
    if (p == "android" || p == "firebase" || p == "fcm")
        return "fcm";
    return "";
}

ApiRoute routeOf(std::string_view method, std::string_view path) {
    ApiRoute route;
    if (path == "/push") {
        route.kind = method == "POST" ? ApiRoute::Kind::Push : ApiRoute::Kind::MethodNotAllowed;
        return route;
    }
    constexpr std::string_view kTokens = "/v2/tokens/";
    if (path.substr(0, kTokens.size()) != kTokens)
        return route;
    std::string_view rest = path.substr(kTokens.size());
    size_t slash = rest.find('/');
    std::string_view account = rest.substr(0, slash);
    if (!validAccount(account))
        return route;
    route.account = std::string(account);
    if (slash == std::string_view::npos) {
        if (method == "POST")
            route.kind = ApiRoute::Kind::AddToken;
        else if (method == "DELETE")
            route.kind = ApiRoute::Kind::RemoveToken;
        else
            route.kind = ApiRoute::Kind::MethodNotAllowed;
        return route;
    }
    std::string_view tail = rest.substr(slash + 1);
    constexpr std::string_view kPush = "push";
    if (tail.substr(0, kPush.size()) != kPush)
        return route;
    tail = tail.substr(kPush.size());
    if (!tail.empty()) {
        if (tail[0] != '/' || !validDevice(tail.substr(1)))
            return route;
        route.device = std::string(tail.substr(1));
    }
    route.kind = method == "POST" ? ApiRoute::Kind::PushAccount : ApiRoute::Kind::MethodNotAllowed;
    return route;
}

std::optional<PushTarget> readTokenBody(const Json& body, const std::string& account, std::string* error) {
    if (!json_is_object(body.get())) {
        *error = "the body must be a JSON object";
        return std::nullopt;
    }
    PushTarget target;
    target.account = account;
    std::string platform;
    if (!stringField(body, "app-id", 255, true, target.app, error) ||
        !stringField(body, "platform", 32, true, platform, error) ||
        !stringField(body, "token", kMaxPushTokenLength, true, target.token, error) ||
        !stringField(body, "device-id", 256, false, target.device, error) ||
        !boolField(body, "silent", target.silent, error) || !boolField(body, "voip", target.voip, error))
        return std::nullopt;
    target.provider = providerForPlatform(platform);
    if (target.provider.empty()) {
        *error = "\"platform\" must be apple, ios, android or firebase";
        return std::nullopt;
    }
    for (unsigned char c : target.token) {
        if (c <= 0x20 || c >= 0x7f) {
            *error = "\"token\" has characters a token cannot have";
            return std::nullopt;
        }
    }
    constexpr std::string_view kVoip = ".voip";
    if (target.provider == "apns" && target.app.size() > kVoip.size() &&
        target.app.compare(target.app.size() - kVoip.size(), kVoip.size(), kVoip) == 0) {
        target.voip = true;
        target.app.resize(target.app.size() - kVoip.size());
    }
    if (target.device.empty())
        target.device = target.token.substr(0, 256);
    else if (!validDevice(target.device)) {
        *error = "\"device-id\" has characters a device id cannot have";
        return std::nullopt;
    }
    return target;
}

bool readRemoveBody(const Json& body, std::string& app, std::string& device, std::string* error) {
    if (!json_is_object(body.get())) {
        *error = "the body must be a JSON object";
        return false;
    }
    if (!stringField(body, "app-id", 255, false, app, error) || !stringField(body, "device-id", 256, true, device, error))
        return false;
    constexpr std::string_view kVoip = ".voip";
    if (app.size() > kVoip.size() && app.compare(app.size() - kVoip.size(), kVoip.size(), kVoip) == 0)
        app.resize(app.size() - kVoip.size());
    return true;
}

std::optional<PushEvent> readEventBody(const Json& body, std::string* error) {
    if (!json_is_object(body.get())) {
        *error = "the body must be a JSON object";
        return std::nullopt;
    }
    PushEvent event;
    std::string name, from, to;
    if (!stringField(body, "event", 64, true, name, error) ||
        !stringField(body, "call-id", 255, false, event.callId, error) ||
        !stringField(body, "sip-from", 512, false, event.from, error) ||
        !stringField(body, "from", 512, false, from, error) ||
        !stringField(body, "from_display_name", 255, false, event.fromDisplay, error) ||
        !stringField(body, "sip-to", 512, false, event.to, error) ||
        !stringField(body, "to", 512, false, to, error) ||
        !stringField(body, "media-type", 32, false, event.mediaType, error) ||
        !stringField(body, "reason", 255, false, event.reason, error))
        return std::nullopt;
    if (event.from.empty())
        event.from = from;
    if (event.to.empty())
        event.to = to;
    if (event.mediaType.empty())
        event.mediaType = "audio";
    json_t* badge = body.member("badge");
    if (badge) {
        if (!json_is_integer(badge) || json_integer_value(badge) < 0 || json_integer_value(badge) > 100000) {
            *error = "\"badge\" must be an integer from 0 to 100000";
            return std::nullopt;
        }
        event.badge = static_cast<int>(json_integer_value(badge));
    }
    if (name == "incoming_session")
        event.kind = PushEvent::Kind::IncomingCall;
    else if (name == "incoming_conference_request")
        event.kind = PushEvent::Kind::ConferenceInvite;
    else if (name == "cancel")
        event.kind = PushEvent::Kind::Cancel;
    else if (name == "missed_call")
        event.kind = PushEvent::Kind::MissedCall;
    else if (name == "message")
        event.kind = PushEvent::Kind::Message;
    else {
        *error = "\"event\" must be incoming_session, incoming_conference_request, cancel, missed_call or message";
        return std::nullopt;
    }
    return event;
}

}  // namespace sylk::push
