// HTTP Digest (RFC 2617, MD5) as RFC 4976 uses it for MSRP relays: a relay answers AUTH with 401
// and a WWW-Authenticate challenge; the client answers with an Authorization whose digest-uri is
// the relay's URI and whose method is AUTH. Only what a relay client needs: reading a challenge and
// writing the answer (qop "auth" or none, algorithm MD5).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sylkcore/api.hpp"

namespace sylk::msrp {

struct SYLK_API DigestChallenge {
    std::string realm;
    std::string nonce;
    std::string opaque;     // "" when absent; echoed back when present
    std::string algorithm;  // as written ("" means MD5)
    std::vector<std::string> qop;  // the offered qop values, e.g. {"auth"}
    bool stale = false;            // the nonce expired, the password was right (RFC 2617 §3.2.1)

    // Reads `Digest realm="...", nonce="...", ...` (a WWW-Authenticate value). Throws ParseError
    // when it is not a Digest challenge, a parameter is malformed, or realm or nonce is missing.
    static DigestChallenge parse(std::string_view header);

    // We can answer it: algorithm MD5 (or none) and qop absent or offering "auth".
    bool supported() const;

    // The Authorization header value answering this challenge for method and digest-uri.
    // cnonce: fresh random text from the caller; nonceCount: 1 for a nonce's first use.
    std::string authorization(const std::string& username, const std::string& password, const std::string& method,
                              const std::string& uri, const std::string& cnonce, unsigned nonceCount) const;

    // RFC 2617 §3.2.2.1: request-digest in lower-case hex. qop "" computes the RFC 2069 form.
    static std::string response(const std::string& username, const std::string& realm, const std::string& password,
                                const std::string& method, const std::string& uri, const std::string& nonce,
                                const std::string& qop, const std::string& nonceCount, const std::string& cnonce);
};

}  // namespace sylk::msrp
