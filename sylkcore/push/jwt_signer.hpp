// The two signed tokens the push services want, made with libjwt: the APNs provider token
// (ES256; header kid, claims iss and iat; Apple refuses one older than an hour and one renewed
// more often than every 20 minutes) and the Google OAuth2 JWT-bearer assertion (RS256; iss,
// scope, aud, iat, exp) exchanged for an access token.
#pragma once

#include "sylkcore/api.hpp"

#include <cstdint>
#include <string>

#include "credentials.hpp"

namespace sylk::push {

// Throws std::runtime_error when libjwt refuses the key.
SYLK_API std::string makeApnsProviderToken(const ApnsCredentials& credentials, int64_t issuedAt);

constexpr const char* kFcmScope = "https://www.googleapis.com/auth/firebase.messaging";
// Valid for an hour from issuedAt (Google's maximum).
SYLK_API std::string makeGoogleAssertion(const ServiceAccount& account, int64_t issuedAt);

// The APNs provider token in use, renewed when it is 50 minutes old (inside Apple's 20-60
// minute window). One per APNs channel, used on its thread only.
class SYLK_API ApnsProviderToken {
public:
    explicit ApnsProviderToken(ApnsCredentials credentials) : credentials_(std::move(credentials)) {}
    static constexpr int64_t kRenewAfterSeconds = 50 * 60;
    const std::string& at(int64_t now);
    int64_t issuedAt() const { return issuedAt_; }

private:
    ApnsCredentials credentials_;
    std::string token_;
    int64_t issuedAt_ = 0;
};

}  // namespace sylk::push
