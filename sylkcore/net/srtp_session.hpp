// SDES-SRTP (RFC 4568 keys, RFC 3711 packets) for plain-RTP legs: a SIP phone's audio in a
// room or a gateway call. One libsrtp2 context for what we send and one for what we receive,
// so a sending thread and a receiving thread never share one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "../api.hpp"

struct srtp_ctx_t_;

namespace sylk::net {

class SYLK_API SrtpSession {
public:
    // Bytes srtp protection may add to a packet (the authentication tag).
    static constexpr size_t kMaxTrailer = 16;

    // AES_CM_128_HMAC_SHA1_80 or AES_CM_128_HMAC_SHA1_32.
    static bool supported(const std::string& suite);
    // A fresh master key and salt (30 random bytes), base64 as in a=crypto's inline:.
    static std::string makeKey();
    // The key of an a=crypto key-params ("inline:<base64>[|lifetime][|MKI:length]"), if it is
    // 30 bytes of base64; "" otherwise.
    static std::string keyOf(const std::string& keyParams);

    // Throws std::invalid_argument for an unknown suite or a key that is not 30 bytes of
    // base64, std::runtime_error if libsrtp refuses.
    SrtpSession(const std::string& suite, const std::string& localKey, const std::string& remoteKey);
    ~SrtpSession();
    SrtpSession(const SrtpSession&) = delete;
    SrtpSession& operator=(const SrtpSession&) = delete;

    // In place; packet must have room for length + kMaxTrailer. False if libsrtp refuses.
    bool protect(uint8_t* packet, size_t& length);
    // In place; false for a packet that does not authenticate (or a replay).
    bool unprotect(uint8_t* packet, size_t& length);

private:
    srtp_ctx_t_* outbound_ = nullptr;
    srtp_ctx_t_* inbound_ = nullptr;
};

}  // namespace sylk::net
