// The requests of the Sylk Pushserver compatible REST API, read without a network: the route a
// method and path name, and the JSON bodies. Pure and fuzzed (tests/fuzz/fuzz_push_api.cpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "push_target.hpp"
#include "sylkcore/api.hpp"
#include "sylkcore/json.hpp"

namespace sylk::push {

struct ApiRoute {
    enum class Kind {
        Push,          // POST /push: one push to the token in the body
        AddToken,      // POST /v2/tokens/{account}
        RemoveToken,   // DELETE /v2/tokens/{account}
        PushAccount,   // POST /v2/tokens/{account}/push[/{device}]
        NotFound,
        MethodNotAllowed,
    };
    Kind kind = Kind::NotFound;
    std::string account;
    std::string device;  // PushAccount: empty for every device
};

SYLK_API ApiRoute routeOf(std::string_view method, std::string_view path);

// {"app-id", "platform", "token", "device-id"?, "silent"?, "voip"?} -> a target of account;
// nullopt and *error naming the field otherwise. APNs tokens with "voip": true (or an app id
// ending in ".voip") are PushKit tokens.
SYLK_API std::optional<PushTarget> readTokenBody(const Json& body, const std::string& account, std::string* error);
// {"app-id", "device-id"} of DELETE /v2/tokens/{account}.
SYLK_API bool readRemoveBody(const Json& body, std::string& app, std::string& device, std::string* error);
// {"event", "call-id", "sip-from"|"from", "from_display_name", "sip-to"|"to", "media-type",
//  "reason", "badge"} -> the event; event names as Sylk Pushserver's (incoming_session,
// incoming_conference_request, cancel, missed_call, message).
SYLK_API std::optional<PushEvent> readEventBody(const Json& body, std::string* error);

}  // namespace sylk::push
