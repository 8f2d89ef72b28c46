#include "srtp_session.hpp"

#include <glib.h>
#include <srtp2/srtp.h>
#include <sys/random.h>

#include <cstring>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace sylk::net {
namespace {

constexpr size_t kKeyBytes = 30;  // 16-byte AES key + 14-byte salt

// Janus initialises libsrtp for its own DTLS-SRTP; outside Janus (unit tests) we do. Calling it
// once more is harmless.
void initOnce() {
    static std::once_flag once;
    std::call_once(once, [] { srtp_init(); });
}

std::vector<uint8_t> decodeKey(const std::string& base64) {
    gsize length = 0;
    guchar* bytes = g_base64_decode(base64.c_str(), &length);
    std::vector<uint8_t> key(bytes, bytes + length);
    g_free(bytes);
    if (key.size() != kKeyBytes)
        throw std::invalid_argument("an SRTP key must be 30 bytes of base64");
    return key;
}

srtp_ctx_t_* makeContext(const std::string& suite, std::vector<uint8_t>& key, srtp_ssrc_type_t direction) {
    srtp_policy_t policy;
    std::memset(&policy, 0, sizeof(policy));
    if (suite == "AES_CM_128_HMAC_SHA1_32")
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy.rtp);
    else
        srtp_crypto_policy_set_rtp_default(&policy.rtp);  // AES_CM_128_HMAC_SHA1_80
    srtp_crypto_policy_set_rtcp_default(&policy.rtcp);
    policy.ssrc.type = direction;
    policy.key = key.data();
    policy.window_size = 128;
    policy.allow_repeat_tx = 0;
    policy.next = nullptr;
    srtp_t context = nullptr;
    if (srtp_create(&context, &policy) != srtp_err_status_ok)
        throw std::runtime_error("libsrtp refused the SRTP policy");
    return context;
}

}  // namespace

bool SrtpSession::supported(const std::string& suite) {
    return suite == "AES_CM_128_HMAC_SHA1_80" || suite == "AES_CM_128_HMAC_SHA1_32";
}

std::string SrtpSession::makeKey() {
    uint8_t key[kKeyBytes];
    size_t filled = 0;
    while (filled < sizeof(key)) {
        ssize_t got = getrandom(key + filled, sizeof(key) - filled, 0);
        if (got <= 0)
            throw std::runtime_error("no randomness for an SRTP key");
        filled += static_cast<size_t>(got);
    }
    gchar* text = g_base64_encode(key, sizeof(key));
    std::string encoded = text;
    g_free(text);
    return encoded;
}

std::string SrtpSession::keyOf(const std::string& keyParams) {
    if (keyParams.rfind("inline:", 0) != 0)
        return "";
    std::string key = keyParams.substr(7, keyParams.find('|') == std::string::npos ? std::string::npos
                                                                                  : keyParams.find('|') - 7);
    if (key.size() != 40)  // 30 bytes in base64
        return "";
    for (char c : key) {
        if (!g_ascii_isalnum(c) && c != '+' && c != '/' && c != '=')
            return "";
    }
    return key;
}

SrtpSession::SrtpSession(const std::string& suite, const std::string& localKey, const std::string& remoteKey) {
    if (!supported(suite))
        throw std::invalid_argument("unsupported SRTP suite " + suite);
    initOnce();
    auto local = decodeKey(localKey);
    auto remote = decodeKey(remoteKey);
    outbound_ = makeContext(suite, local, ssrc_any_outbound);
    try {
        inbound_ = makeContext(suite, remote, ssrc_any_inbound);
    } catch (...) {
        srtp_dealloc(outbound_);
        throw;
    }
}

SrtpSession::~SrtpSession() {
    if (outbound_)
        srtp_dealloc(outbound_);
    if (inbound_)
        srtp_dealloc(inbound_);
}

bool SrtpSession::protect(uint8_t* packet, size_t& length) {
    int size = static_cast<int>(length);
    if (srtp_protect(outbound_, packet, &size) != srtp_err_status_ok)
        return false;
    length = static_cast<size_t>(size);
    return true;
}

bool SrtpSession::unprotect(uint8_t* packet, size_t& length) {
    int size = static_cast<int>(length);
    if (srtp_unprotect(inbound_, packet, &size) != srtp_err_status_ok)
        return false;
    length = static_cast<size_t>(size);
    return true;
}

}  // namespace sylk::net
