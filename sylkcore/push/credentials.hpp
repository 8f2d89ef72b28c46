// What the push services are called with: an APNs provider key (ES256, .p8) and a Google
// service account (RS256; the JSON file Google issues). Loaded from files at start; the key
// material is never logged.
#pragma once

#include "sylkcore/api.hpp"

#include <string>

namespace sylk::push {

struct ApnsCredentials {
    std::string keyPem;  // PKCS#8 EC P-256 private key (AuthKey_<kid>.p8)
    std::string keyId;   // "kid": the key's 10-character id
    std::string teamId;  // "iss": the developer team id
};

struct ServiceAccount {
    std::string projectId;
    std::string clientEmail;  // "iss" and "sub" of the assertion
    std::string privateKeyPem;
    std::string privateKeyId; // "kid"
    std::string tokenUri;     // "aud", and where the assertion is posted
};

// Reads a service account JSON file; throws std::runtime_error naming what is missing.
SYLK_API ServiceAccount loadServiceAccount(const std::string& path);
// Reads a whole file; throws std::runtime_error.
SYLK_API std::string readFile(const std::string& path);

}  // namespace sylk::push
