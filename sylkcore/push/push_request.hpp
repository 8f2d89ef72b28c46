// Building the HTTP/2 requests for APNs and FCM v1 and reading their answers: pure, so the
// unit tests check every header and claim without a network.
#pragma once

#include "sylkcore/api.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "push_target.hpp"

namespace sylk::push {

struct HttpRequest {
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string contentType = "application/json";
};

// APNs: POST <base>/3/device/<token> with apns-topic (<app>.voip for PushKit tokens),
// apns-push-type (voip for calls to a PushKit token, alert for shown notifications,
// background for silent ones), apns-priority (10 to wake now, 5 for background) and
// apns-expiration (calls: now + 60 s, a ring that late is useless; others: now + 1 day).
SYLK_API HttpRequest buildApnsRequest(const std::string& baseUrl, const PushTarget& target, const PushEvent& event,
                             const std::string& providerToken, int64_t now);
// The APNs push type buildApnsRequest picks.
SYLK_API std::string apnsPushType(const PushTarget& target, const PushEvent& event);

// FCM HTTP v1: POST <base>/v1/projects/<project>/messages:send, a data message (the app shows
// what it wants), priority high and a 60 s ttl for calls.
SYLK_API HttpRequest buildFcmRequest(const std::string& baseUrl, const std::string& projectId, const PushTarget& target,
                            const PushEvent& event, const std::string& accessToken);

// The OAuth2 JWT-bearer grant (RFC 7523) that trades an assertion for an access token.
SYLK_API HttpRequest buildTokenRequest(const std::string& tokenUrl, const std::string& assertion);
// {"access_token": ..., "expires_in": N} -> token and lifetime; false when malformed.
SYLK_API bool parseTokenResponse(const std::string& body, std::string& token, int64_t& expiresIn);

// What a push's answer means for it.
enum class Outcome {
    Delivered,  // 200
    Gone,       // the token is dead: delete it (APNs 410 or 400 BadDeviceToken; FCM 404 or UNREGISTERED)
    Retry,      // try again later (5xx, 429, a timeout or a broken connection)
    Failed,     // our request was wrong: log, do not retry
};
SYLK_API Outcome classifyApns(long status, const std::string& body);
SYLK_API Outcome classifyFcm(long status, const std::string& body);
SYLK_API const char* outcomeName(Outcome outcome);

}  // namespace sylk::push
