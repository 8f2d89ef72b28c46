#include "media_bridge.hpp"

#include <glib.h>

#include <stdexcept>

#include "sylkcore/audio/rtp_packet.hpp"
#include "sylkcore/log.hpp"

namespace sylk::sip {
namespace {

constexpr char kDtmfDigits[] = "0123456789*#ABCD";

// RTP clock ticks of one side per tick of the other: Opus runs at 48 kHz, the others at 8.
uint32_t scaleTimestamp(uint32_t timestamp, int fromClock, int toClock) {
    return static_cast<uint32_t>(static_cast<uint64_t>(timestamp) * static_cast<uint64_t>(toClock) /
                                 static_cast<uint64_t>(fromClock));
}

}  // namespace

MediaBridge::MediaBridge(janus::Gateway gateway, janus::Handle* handle, const std::string& localIp)
    : webrtc_(gateway, handle), socket_(localIp, localIp, 9) {
    sipOut_.ssrc = g_random_int();
    sipOut_.sequence = static_cast<uint16_t>(g_random_int());
    webrtcOut_.ssrc = g_random_int();
    webrtcOut_.sequence = static_cast<uint16_t>(g_random_int());
}

void MediaBridge::start(const BridgeMedia& media) {
    startLocked(media);
    // Outside our lock: the ZRTP session's lock comes first (its SECURE callback takes ours)
    if (zrtp_ && media.srtpSuite.empty() && !media.zrtpHash.empty()) {
        zrtp_->start(media.zrtpHash);  // once; a re-INVITE's call does nothing
        zrtpRunning_.store(!zrtp_->secure(), std::memory_order_relaxed);
    }
}

void MediaBridge::startLocked(const BridgeMedia& media) {
    std::lock_guard lock(mutex_);
    if (!socket_.setPeer(media.peerIp, media.peerPort))
        throw std::runtime_error("the peer's RTP address " + media.peerIp + " is not of our address family");
    bool codecChanged = !started_ || media.sipCodec != media_.sipCodec;
    bool keysChanged = !started_ || media.srtpSuite != media_.srtpSuite || media.localKey != media_.localKey ||
                       media.remoteKey != media_.remoteKey;
    if (zrtpKeyed_)
        keysChanged = false;  // SDP carries no keys under ZRTP; ours came from the exchange
    if (keysChanged) {
        // Throws std::invalid_argument for keys that are not usable (the SDP reader checked them).
        srtp_ = media.srtpSuite.empty() ? nullptr
                                        : std::make_unique<net::SrtpSession>(media.srtpSuite, media.localKey, media.remoteKey);
    }
    media_ = media;
    if (codecChanged) {
        if (media.sipCodec == audio::CodecId::Opus) {
            toSipTranscoder_.reset();
            toWebRtcTranscoder_.reset();
        } else {
            toSipTranscoder_ = std::make_unique<audio::Transcoder>(audio::CodecId::Opus, media.sipCodec);
            toWebRtcTranscoder_ = std::make_unique<audio::Transcoder>(media.sipCodec, audio::CodecId::Opus);
        }
    }
    started_ = true;
}

void MediaBridge::enableZrtp(ZrtpCache* cache, const std::string& selfUri, const std::string& peerUri,
                             ZrtpListener listener) {
    zrtpListener_ = std::move(listener);
    zrtp_ = std::make_unique<ZrtpSession>(
        sipOut_.ssrc, cache, selfUri, peerUri,
        [this](const uint8_t* packet, size_t length) { socket_.send(packet, length); },
        [this](const ZrtpKeys& keys) {
            // On SECURE (inside the ZRTP session's lock; we take ours after it, never before)
            {
                std::lock_guard lock(mutex_);
                srtp_ = std::make_unique<net::SrtpSession>(keys.suite, keys.localKey, keys.remoteKey);
                zrtpKeyed_ = true;
            }
            zrtpRunning_.store(false, std::memory_order_relaxed);
            if (zrtpListener_)
                zrtpListener_(keys);
        });
}

std::string MediaBridge::zrtpHelloHash() { return zrtp_ ? zrtp_->helloHash() : ""; }

void MediaBridge::zrtpTick() {
    if (zrtp_ && zrtpRunning_.load(std::memory_order_relaxed) && !zrtp_->tick() && !zrtp_->secure()) {
        // Given up: the call goes on with plain RTP, as before the exchange; no timer runs for it
        zrtpRunning_.store(false, std::memory_order_relaxed);
        SYLK_LOG(LOG_WARN, "janus.plugin.sylk.sip", "ZRTP did not reach SECURE; the call stays on plain RTP");
    }
}

bool MediaBridge::transcoding() const { return toSipTranscoder_ != nullptr; }

void MediaBridge::fromWebRtc(const uint8_t* packet, size_t length) {
    auto rtp = audio::parseRtp(packet, length);
    if (!rtp || held_.load(std::memory_order_relaxed))
        return;
    std::lock_guard lock(mutex_);
    if (!started_)
        return;
    if (rtp->payloadType == media_.webrtcDtmfPt) {
        if (media_.sipDtmfPt >= 0)
            sendToSip(static_cast<uint8_t>(media_.sipDtmfPt), rtp->marker, rtp->sequence,
                      scaleTimestamp(rtp->timestamp, 48000, media_.sipDtmfRate), rtp->payload, rtp->payloadLength);
        return;
    }
    if (rtp->payloadType != media_.webrtcOpusPt)
        return;
    if (!toSipTranscoder_) {
        sendToSip(static_cast<uint8_t>(media_.sipPt), rtp->marker, rtp->sequence, rtp->timestamp, rtp->payload,
                  rtp->payloadLength);
        return;
    }
    toSipTranscoder_->push(rtp->payload, rtp->payloadLength, rtp->timestamp,
                           [&](const uint8_t* payload, size_t bytes, uint32_t timestamp) {
                               sendToSip(static_cast<uint8_t>(media_.sipPt), false, sipOut_.sequence++, timestamp,
                                         payload, bytes);
                           });
}

void MediaBridge::fromSip() {
    bool secured;
    {
        std::lock_guard lock(mutex_);
        secured = srtp_ != nullptr;
    }
    // SRTP's authentication tells the peer's packets apart wherever they come from; plain RTP
    // is taken from the peer's host only.
    socket_.drain([this](const uint8_t* received, size_t length) {
        if (zrtp_ && ZrtpSession::isZrtp(received, length)) {
            zrtp_->receive(received, length);  // before our lock: the session takes its own first
            return;
        }
        if (held_.load(std::memory_order_relaxed)) {
            lastSipPacket_.store(g_get_monotonic_time(), std::memory_order_relaxed);
            return;
        }
        std::lock_guard lock(mutex_);
        if (!started_)
            return;
        uint8_t packet[1500];
        if (length > sizeof(packet))
            return;
        std::copy(received, received + length, packet);
        if (srtp_ && !srtp_->unprotect(packet, length))
            return;  // does not authenticate: not from the peer we negotiated keys with
        auto rtp = audio::parseRtp(packet, length);
        if (!rtp)
            return;
        lastSipPacket_.store(g_get_monotonic_time(), std::memory_order_relaxed);
        if (rtp->payloadType == media_.sipDtmfPt) {
            reportDtmf(rtp->payload, rtp->payloadLength, rtp->timestamp);
            if (media_.webrtcDtmfPt >= 0)
                sendToWebRtc(static_cast<uint8_t>(media_.webrtcDtmfPt), rtp->marker, rtp->sequence,
                             scaleTimestamp(rtp->timestamp, media_.sipDtmfRate, 48000), rtp->payload, rtp->payloadLength, media_.mindex);
            return;
        }
        if (rtp->payloadType != media_.sipPt)
            return;
        if (!toWebRtcTranscoder_) {
            sendToWebRtc(static_cast<uint8_t>(media_.webrtcOpusPt), rtp->marker, rtp->sequence, rtp->timestamp,
                         rtp->payload, rtp->payloadLength, media_.mindex);
            return;
        }
        toWebRtcTranscoder_->push(rtp->payload, rtp->payloadLength, rtp->timestamp,
                                  [&](const uint8_t* payload, size_t bytes, uint32_t timestamp) {
                                      sendToWebRtc(static_cast<uint8_t>(media_.webrtcOpusPt), false,
                                                   webrtcOut_.sequence++, timestamp, payload, bytes, media_.mindex);
                                  });
    }, 64, secured);
}

void MediaBridge::sendToSip(uint8_t pt, bool marker, uint16_t sequence, uint32_t timestamp, const uint8_t* payload,
                            size_t length) {
    uint8_t packet[1500 + net::SrtpSession::kMaxTrailer];
    if (length > 1500 - 12)
        return;
    size_t header = audio::writeRtpHeader(packet, pt, marker, sequence, timestamp, sipOut_.ssrc);
    std::copy(payload, payload + length, packet + header);
    size_t total = header + length;
    if (srtp_ && !srtp_->protect(packet, total))
        return;
    socket_.send(packet, total);
    toSip_.fetch_add(1, std::memory_order_relaxed);
}

void MediaBridge::sendToWebRtc(uint8_t pt, bool marker, uint16_t sequence, uint32_t timestamp, const uint8_t* payload,
                               size_t length, int mindex) {
    if (webrtc_.stopped())
        return;
    uint8_t packet[1500];
    if (length > sizeof(packet) - 12)
        return;
    size_t header = audio::writeRtpHeader(packet, pt, marker, sequence, timestamp, webrtcOut_.ssrc);
    std::copy(payload, payload + length, packet + header);
    webrtc_.relayRtp(mindex, false, packet, header + length);
    toWebRtc_.fetch_add(1, std::memory_order_relaxed);
}

void MediaBridge::reportDtmf(const uint8_t* payload, size_t length, uint32_t timestamp) {
    // RFC 4733: event, E|R|volume, duration; the end packet is sent three times.
    if (length < 4 || !(payload[1] & 0x80) || payload[0] >= 16 || !dtmfListener_)
        return;
    if (dtmfSeen_ && timestamp == lastDtmfTimestamp_)
        return;
    dtmfSeen_ = true;
    lastDtmfTimestamp_ = timestamp;
    // The duration is in ticks of the telephone-event clock the answer kept (8 or 48 kHz).
    int duration = static_cast<int>(static_cast<int64_t>(payload[2] << 8 | payload[3]) * 1000 / media_.sipDtmfRate);
    dtmfListener_(kDtmfDigits[payload[0]], duration);
}

}  // namespace sylk::sip
