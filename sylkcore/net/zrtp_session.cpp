#include "zrtp_session.hpp"

#include <bzrtp/bzrtp.h>
#include <glib.h>

#include <stdexcept>
#include <vector>

#include "zrtp_cache.hpp"

namespace sylk::net {
namespace {

// Master key and salt as SrtpSession takes them (RFC 4568's inline: form): base64 of both.
std::string keyAndSalt(const uint8_t* key, size_t keyLength, const uint8_t* salt, size_t saltLength) {
    std::vector<uint8_t> bytes(key, key + keyLength);
    bytes.insert(bytes.end(), salt, salt + saltLength);
    gchar* text = g_base64_encode(bytes.data(), bytes.size());
    std::string encoded = text;
    g_free(text);
    return encoded;
}

uint64_t nowMs() { return static_cast<uint64_t>(g_get_monotonic_time() / 1000); }

}  // namespace

ZrtpSession::ZrtpSession(uint32_t selfSsrc, ZrtpCache* cache, const std::string& selfUri, const std::string& peerUri,
                         Sender sender, SecureListener listener)
    : selfSsrc_(selfSsrc), sender_(std::move(sender)), listener_(std::move(listener)) {
    context_ = bzrtp_createBzrtpContext();
    if (!context_)
        throw std::runtime_error("bzrtp could not make a ZRTP context");
    bzrtpCallbacks_t callbacks{};
    callbacks.bzrtp_sendData = &ZrtpSession::sendData;
    callbacks.bzrtp_srtpSecretsAvailable = &ZrtpSession::secretsAvailable;
    callbacks.bzrtp_startSrtpSession = &ZrtpSession::startSrtp;
    bzrtp_setCallbacks(context_, &callbacks);
    if (cache)
        bzrtp_setZIDCache_lock(context_, cache->db(), selfUri.c_str(), peerUri.c_str(), cache->mutex());
    // SrtpSession has AES-128 counter mode with HMAC-SHA1 tags: offer only what we can key.
    uint8_t ciphers[7] = {ZRTP_CIPHER_AES1};
    bzrtp_setSupportedCryptoTypes(context_, ZRTP_CIPHERBLOCK_TYPE, ciphers, 1);
    uint8_t tags[7] = {ZRTP_AUTHTAG_HS80, ZRTP_AUTHTAG_HS32};
    bzrtp_setSupportedCryptoTypes(context_, ZRTP_AUTHTAG_TYPE, tags, 2);
    if (bzrtp_initBzrtpContext(context_, selfSsrc_) != 0) {
        bzrtp_destroyBzrtpContext(context_, selfSsrc_);
        throw std::runtime_error("bzrtp could not set up its ZRTP context");
    }
    bzrtp_setClientData(context_, selfSsrc_, this);
}

ZrtpSession::~ZrtpSession() {
    std::lock_guard lock(mutex_);
    bzrtp_destroyBzrtpContext(context_, selfSsrc_);
}

std::string ZrtpSession::helloHash() {
    std::lock_guard lock(mutex_);
    uint8_t hash[128] = {0};
    if (bzrtp_getSelfHelloHash(context_, selfSsrc_, hash, sizeof(hash)) != 0)
        return "";
    return reinterpret_cast<const char*>(hash);
}

void ZrtpSession::start(const std::string& peerHelloHash) {
    std::lock_guard lock(mutex_);
    if (started_)
        return;
    if (!peerHelloHash.empty()) {
        std::vector<uint8_t> hash(peerHelloHash.begin(), peerHelloHash.end());
        hash.push_back(0);
        bzrtp_setPeerHelloHash(context_, selfSsrc_, hash.data(), peerHelloHash.size());
    }
    started_ = true;
    startedUs_ = g_get_monotonic_time();
    bzrtp_startChannelEngine(context_, selfSsrc_);
}

bool ZrtpSession::secure() {
    std::lock_guard lock(mutex_);
    return secure_;
}

void ZrtpSession::receive(const uint8_t* packet, size_t length) {
    std::lock_guard lock(mutex_);
    if (!started_ || length > 0xffff)
        return;
    // bzrtp checks the packet's CRC and every message's MAC; a bad one is dropped there.
    std::vector<uint8_t> copy(packet, packet + length);
    bzrtp_processMessage(context_, selfSsrc_, copy.data(), static_cast<uint16_t>(length));
}

bool ZrtpSession::tick() {
    std::lock_guard lock(mutex_);
    if (!started_ || secure_)
        return false;
    bzrtp_iterate(context_, selfSsrc_, nowMs());
    if (secure_)
        return false;
    return bzrtp_getChannelStatus(context_, selfSsrc_) != BZRTP_CHANNEL_ERROR &&
           g_get_monotonic_time() - startedUs_ < kGiveUpUs;
}

bool ZrtpSession::isZrtp(const uint8_t* packet, size_t length) {
    return length >= 28 && (packet[0] >> 4) == 1 && packet[4] == 'Z' && packet[5] == 'R' && packet[6] == 'T' &&
           packet[7] == 'P';
}

int ZrtpSession::sendData(void* self, const uint8_t* packet, uint16_t length) {
    static_cast<ZrtpSession*>(self)->sender_(packet, length);
    return 0;
}

int ZrtpSession::secretsAvailable(void*, const bzrtpSrtpSecrets_struct*, uint8_t) {
    return 0;  // the keys are taken once the exchange has ended (startSrtp), both ways at once
}

int ZrtpSession::startSrtp(void* self, const bzrtpSrtpSecrets_struct* secrets, int32_t verified) {
    auto* session = static_cast<ZrtpSession*>(self);
    ZrtpKeys keys;
    if (secrets->cipherAlgo != ZRTP_CIPHER_AES1 ||
        (secrets->authTagAlgo != ZRTP_AUTHTAG_HS80 && secrets->authTagAlgo != ZRTP_AUTHTAG_HS32))
        return 0;  // not what we offered (setSupportedCryptoTypes): no SRTP, stays insecure
    keys.suite = secrets->authTagAlgo == ZRTP_AUTHTAG_HS80 ? "AES_CM_128_HMAC_SHA1_80" : "AES_CM_128_HMAC_SHA1_32";
    keys.localKey = keyAndSalt(secrets->selfSrtpKey, secrets->selfSrtpKeyLength, secrets->selfSrtpSalt,
                               secrets->selfSrtpSaltLength);
    keys.remoteKey = keyAndSalt(secrets->peerSrtpKey, secrets->peerSrtpKeyLength, secrets->peerSrtpSalt,
                                secrets->peerSrtpSaltLength);
    keys.sas = secrets->sas ? secrets->sas : "";
    keys.verified = verified != 0;
    keys.cacheMismatch = secrets->cacheMismatch != 0;
    session->secure_ = true;
    session->listener_(keys);
    return 0;
}

}  // namespace sylk::net
