// RFC 8599 push parameters of a SIP Contact: pn-provider, pn-prid and pn-param, as URI
// parameters of the Contact URI (the RFC's place) or as header parameters after it. Pure and
// fuzzed: the gateway reads them from the bindings its registrar lists in a 200 to REGISTER.
#pragma once

#include "sylkcore/api.hpp"

#include <optional>
#include <string>
#include <string_view>

#include "push_target.hpp"

namespace sylk::push {

// Longest pn-prid accepted (FCM registration tokens are ~160 characters; APNs 64 hex).
constexpr size_t kMaxPushTokenLength = 4096;

// The push target a Contact header value names, or nullopt with *error set: no pn-provider
// (error empty: not a push binding), an unknown provider, a missing or malformed pn-prid or
// pn-param. APNs pn-param is "<team id>.<topic>"; a topic ending in ".voip" is a PushKit token.
// FCM pn-param is the project id (the app). account and device are left empty.
SYLK_API std::optional<PushTarget> parsePnParams(std::string_view contact, std::string* error);

}  // namespace sylk::push
