// The media of one gateway call: the browser's side arrives through Janus (ICE, DTLS-SRTP,
// Opus) and leaves through relay_rtp; the SIP peer's side is plain RTP on a UDP socket of
// ours. Packets cross over with their payload type rewritten when both sides speak Opus, and
// through a Transcoder each way when the peer chose G.722, PCMU or PCMA. RFC 4733 events are
// passed on when both sides negotiated them, and reported.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "sylkcore/audio/codec.hpp"
#include "sylkcore/audio/transcoder.hpp"
#include "sylkcore/janus/media_output.hpp"
#include "sylkcore/net/srtp_session.hpp"
#include "sylkcore/net/udp_socket.hpp"
#include "sylkcore/net/zrtp_session.hpp"

namespace sylk::sip {

using net::ZrtpKeys;
using net::ZrtpCache;
using net::ZrtpSession;  // in sylkcore: the audio mixer runs it on room calls too

struct BridgeMedia {
    std::string peerIp;       // where the SIP peer takes RTP
    uint16_t peerPort = 0;
    audio::CodecId sipCodec = audio::CodecId::Opus;
    int sipPt = -1;
    int sipDtmfPt = -1;       // -1: the peer has no telephone-event
    int sipDtmfRate = 8000;   // its clock rate as negotiated (8000, or 48000 next to Opus)
    int webrtcOpusPt = 111;   // what the browser sends Opus with
    int webrtcDtmfPt = -1;
    int mindex = 0;           // the browser PeerConnection's audio m-line
    std::string srtpSuite;    // SDES-SRTP toward the peer, when negotiated
    std::string localKey;
    std::string remoteKey;
    std::string zrtpHash;     // the peer's a=zrtp-hash: run ZRTP on the leg (when not SDES)
};

class MediaBridge {
public:
    // A digit the SIP peer sent as RFC 4733 (reported once, at its end).
    using DtmfListener = std::function<void(char digit, int durationMs)>;

    // Binds the RTP socket on localIp (throws std::runtime_error); no media flows until
    // start().
    MediaBridge(janus::Gateway gateway, janus::Handle* handle, const std::string& localIp);

    uint16_t localPort() const { return socket_.localPort(); }
    int fd() const { return socket_.fd(); }
    void setDtmfListener(DtmfListener listener) { dtmfListener_ = std::move(listener); }
    // ZRTP (RFC 6189) on this leg: makes the ZRTP context (its hello hash goes in our SDP);
    // the exchange starts once start() is given a peer's a=zrtp-hash. listener hears of SECURE
    // (on the RTP receiver thread). Throws std::runtime_error if bzrtp cannot.
    using ZrtpListener = std::function<void(const ZrtpKeys& keys)>;
    void enableZrtp(ZrtpCache* cache, const std::string& selfUri, const std::string& peerUri, ZrtpListener listener);
    // Our a=zrtp-hash value; "" without enableZrtp().
    std::string zrtpHelloHash();
    // Retransmissions of a ZRTP exchange under way (the RTP receiver's timer).
    void zrtpTick();
    bool zrtpRunning() const { return zrtpRunning_.load(std::memory_order_relaxed); }
    // Starts (or changes, after a re-INVITE) the media; throws std::runtime_error for a peer
    // address of the wrong family.
    void start(const BridgeMedia& media);
    // Held calls carry no media either way.
    void setHeld(bool held) { held_.store(held, std::memory_order_relaxed); }
    bool transcoding() const;

    // On the browser handle's Janus thread.
    void fromWebRtc(const uint8_t* packet, size_t length);
    // On the RTP receiver thread, when the socket is readable.
    void fromSip();

    uint64_t packetsToSip() const { return toSip_.load(std::memory_order_relaxed); }
    uint64_t packetsToWebRtc() const { return toWebRtc_.load(std::memory_order_relaxed); }
    int64_t lastSipPacketUs() const { return lastSipPacket_.load(std::memory_order_relaxed); }

private:
    struct Outgoing {  // the RTP header state of packets we write on one side
        uint32_t ssrc = 0;
        uint16_t sequence = 0;
    };
    void startLocked(const BridgeMedia& media);
    void sendToSip(uint8_t pt, bool marker, uint16_t sequence, uint32_t timestamp, const uint8_t* payload, size_t length);
    void sendToWebRtc(uint8_t pt, bool marker, uint16_t sequence, uint32_t timestamp, const uint8_t* payload,
                      size_t length, int mindex);
    void reportDtmf(const uint8_t* payload, size_t length, uint32_t timestamp);

    janus::MediaOutput webrtc_;  // the browser's PeerConnection
    net::UdpSocket socket_;
    std::mutex mutex_;            // media_ and the transcoders, taken by both directions
    BridgeMedia media_;
    bool started_ = false;
    std::unique_ptr<audio::Transcoder> toSipTranscoder_;
    std::unique_ptr<audio::Transcoder> toWebRtcTranscoder_;
    std::unique_ptr<net::SrtpSession> srtp_;
    std::unique_ptr<ZrtpSession> zrtp_;   // set once by enableZrtp, before the bridge is shared
    ZrtpListener zrtpListener_;
    bool zrtpKeyed_ = false;              // srtp_ holds ZRTP's keys (a re-INVITE keeps them)
    std::atomic<bool> zrtpRunning_{false};
    Outgoing sipOut_;
    Outgoing webrtcOut_;
    uint32_t lastDtmfTimestamp_ = 0;
    bool dtmfSeen_ = false;
    DtmfListener dtmfListener_;
    std::atomic<bool> held_{false};
    std::atomic<uint64_t> toSip_{0};
    std::atomic<uint64_t> toWebRtc_{0};
    std::atomic<int64_t> lastSipPacket_{0};
};

}  // namespace sylk::sip
