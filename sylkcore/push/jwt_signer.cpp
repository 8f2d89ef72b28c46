#include "jwt_signer.hpp"

#include <jwt.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>

namespace sylk::push {
namespace {

struct JwtFree {
    void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtFree>;

JwtPtr newJwt() {
    jwt_t* raw = nullptr;
    if (jwt_new(&raw) != 0 || !raw)
        throw std::runtime_error("jwt_new failed");
    return JwtPtr(raw);
}

void check(int rc, const char* what) {
    if (rc != 0)
        throw std::runtime_error(std::string("JWT: ") + what + " failed");
}

std::string encode(jwt_t* jwt) {
    char* text = jwt_encode_str(jwt);
    if (!text)
        throw std::runtime_error("JWT: signing failed (is the key of the right type?)");
    std::string out(text);
    free(text);  // libjwt 1.10 has no jwt_free_str: the string is malloc()ed
    return out;
}

}  // namespace

std::string makeApnsProviderToken(const ApnsCredentials& credentials, int64_t issuedAt) {
    JwtPtr jwt = newJwt();
    check(jwt_set_alg(jwt.get(), JWT_ALG_ES256, reinterpret_cast<const unsigned char*>(credentials.keyPem.data()),
                      static_cast<int>(credentials.keyPem.size())),
          "the APNs key");
    check(jwt_add_header(jwt.get(), "kid", credentials.keyId.c_str()), "kid");
    check(jwt_add_grant(jwt.get(), "iss", credentials.teamId.c_str()), "iss");
    check(jwt_add_grant_int(jwt.get(), "iat", static_cast<long>(issuedAt)), "iat");
    return encode(jwt.get());
}

std::string makeGoogleAssertion(const ServiceAccount& account, int64_t issuedAt) {
    JwtPtr jwt = newJwt();
    check(jwt_set_alg(jwt.get(), JWT_ALG_RS256, reinterpret_cast<const unsigned char*>(account.privateKeyPem.data()),
                      static_cast<int>(account.privateKeyPem.size())),
          "the service account key");
    if (!account.privateKeyId.empty())
        check(jwt_add_header(jwt.get(), "kid", account.privateKeyId.c_str()), "kid");
    check(jwt_add_grant(jwt.get(), "iss", account.clientEmail.c_str()), "iss");
    check(jwt_add_grant(jwt.get(), "sub", account.clientEmail.c_str()), "sub");
    check(jwt_add_grant(jwt.get(), "scope", kFcmScope), "scope");
    check(jwt_add_grant(jwt.get(), "aud", account.tokenUri.c_str()), "aud");
    check(jwt_add_grant_int(jwt.get(), "iat", static_cast<long>(issuedAt)), "iat");
    check(jwt_add_grant_int(jwt.get(), "exp", static_cast<long>(issuedAt + 3600)), "exp");
    return encode(jwt.get());
}

const std::string& ApnsProviderToken::at(int64_t now) {
    if (token_.empty() || now - issuedAt_ >= kRenewAfterSeconds || now < issuedAt_) {
        token_ = makeApnsProviderToken(credentials_, now);
        issuedAt_ = now;
    }
    return token_;
}

}  // namespace sylk::push
