// ZRTP (RFC 6189) on one plain RTP leg (a gateway call; a room call's leg in the audio mixer),
// with libbzrtp: bzrtp builds and parses the ZRTP messages and keeps the state machine; we carry its packets on the leg's RTP socket, call it
// on a timer for its retransmissions, and on SECURE hand the SRTP keys it derived (and the SAS)
// to our owner. Thread-safe: packets arrive on the RTP receiver thread, the timer runs there
// too, the hello hash and the peer's are exchanged on the signalling thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "../api.hpp"

struct bzrtpContext_struct;
struct bzrtpSrtpSecrets_struct;

namespace sylk::net {

class ZrtpCache;

struct ZrtpKeys {
    std::string suite;      // AES_CM_128_HMAC_SHA1_80 or _32
    std::string localKey;   // master key and salt, base64 (what SrtpSession takes)
    std::string remoteKey;
    std::string sas;        // the Short Authentication String, e.g. "kx7q"
    bool verified = false;  // the SAS was confirmed in an earlier call (cache)
    bool cacheMismatch = false;  // we had a retained secret for this peer and it did not match
};

class SYLK_API ZrtpSession {
public:
    // Sends one ZRTP packet (already framed) to the peer's RTP address.
    using Sender = std::function<void(const uint8_t* packet, size_t length)>;
    // SECURE reached: keys for SRTP, and the SAS. Called with the session's lock held: it must
    // not call back into this session.
    using SecureListener = std::function<void(const ZrtpKeys& keys)>;

    // selfSsrc: the SSRC of what we send on the leg. cache may be null (no retained secrets).
    // Throws std::runtime_error if bzrtp cannot make a context.
    ZrtpSession(uint32_t selfSsrc, ZrtpCache* cache, const std::string& selfUri, const std::string& peerUri,
                Sender sender, SecureListener listener);
    ~ZrtpSession();
    ZrtpSession(const ZrtpSession&) = delete;
    ZrtpSession& operator=(const ZrtpSession&) = delete;

    // Ours for a=zrtp-hash: "1.10 <64 hex digits>".
    std::string helloHash();
    // The peer's a=zrtp-hash, then the start of the exchange (once; later calls do nothing).
    void start(const std::string& peerHelloHash);
    bool secure();
    // A packet from the leg that is ZRTP (see isZrtp); ignored before start().
    void receive(const uint8_t* packet, size_t length);
    // Retransmissions are due: call every few tens of milliseconds once started. False once
    // there is nothing more to do: SECURE, or given up (bzrtp's error state, or no SECURE
    // within kGiveUpUs of the start: a peer that offered a=zrtp-hash and never answers).
    bool tick();
    static constexpr int64_t kGiveUpUs = 30 * 1000000;

    // RFC 6189 §5: version 0001 in the first nibble and the magic cookie "ZRTP" at bytes 4-7.
    static bool isZrtp(const uint8_t* packet, size_t length);

private:
    static int sendData(void* self, const uint8_t* packet, uint16_t length);
    static int secretsAvailable(void* self, const bzrtpSrtpSecrets_struct* secrets, uint8_t part);
    static int startSrtp(void* self, const bzrtpSrtpSecrets_struct* secrets, int32_t verified);

    std::mutex mutex_;
    bzrtpContext_struct* context_ = nullptr;
    uint32_t selfSsrc_;
    Sender sender_;
    SecureListener listener_;
    bool started_ = false;
    int64_t startedUs_ = 0;
    bool secure_ = false;
};

}  // namespace sylk::net
