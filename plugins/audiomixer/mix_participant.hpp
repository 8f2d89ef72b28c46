// One voice in a mixing room, WebRTC or plain RTP: its input (RTP in, jitter buffer, decoder,
// resampler to the room rate) and its output (mix-minus or the shared mix, resampled and
// encoded for it, framed as RTP). The network side calls receiveRtp; everything else runs on
// the mixer thread, except the atomic switches the control loop flips.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "audio_sink.hpp"
#include "sylkcore/audio/codec.hpp"
#include "sylkcore/audio/jitter_buffer.hpp"
#include "sylkcore/audio/resampler.hpp"
#include "sylkcore/audio/talk_detector.hpp"
#include "sylkcore/json.hpp"

namespace sylk::audiomixer {

struct ParticipantStats {
    std::atomic<uint64_t> packetsIn{0};
    std::atomic<uint64_t> packetsOut{0};
    std::atomic<uint64_t> malformed{0};     // not RTP, or a payload that does not decode
    std::atomic<uint64_t> wrongPayloadType{0};
};

class MixParticipant {
public:
    MixParticipant(uint64_t id, std::string display, audio::CodecId codec, int payloadType, int roomRate,
                   std::unique_ptr<AudioSink> sink);

    const uint64_t id;
    std::string display;                 // control loop
    std::string callBack;                // control loop: where the phone can be called again (hub::Member::callBack)
    const audio::CodecId codec;
    const int payloadType;
    std::atomic<bool> muted{false};          // by themselves
    std::atomic<bool> moderatorMuted{false}; // by a moderator
    std::atomic<bool> onHold{false};         // neither mixed nor sent the mix
    // A remote leg to a node with no video room member in the room (docs/cluster.md, "Audio
    // across nodes"): it is sent this node's web feeds too, as nobody there hears them through
    // the SFU. Control loop sets it; the mixer thread reads it.
    std::atomic<bool> withWebFeeds{false};
    // A web feed of a page on another node, relayed to this node's video room and bridged here
    // for this node's participants (docs/cluster.md, "Pages and phones on different nodes"):
    // never sent on a leg. Set before the feed joins the bridge.
    std::atomic<bool> relayedFeed{false};
    std::atomic<int> volumePercent{100};
    ParticipantStats stats;

    // Network side (a Janus media thread or the mixer thread for plain RTP).
    void receiveRtp(const uint8_t* packet, size_t length, int64_t arrivalUs);

    // The highest rate this participant's codec carries (G.711 8 kHz, G.722 16 kHz, Opus 48 kHz).
    int nativeRate() const { return audio::pcmRate(codec, 48000); }
    // Opus: the rate the last decoded packet's bandwidth needs (audio::opusCodedRate), 0 before
    // any. A remote leg's tells what the other node mixes at (mixer thread).
    int codedRate() const { return codedRate_; }
    // Mixer thread: the rate its room mixes at now. A change rebuilds what depends on it (the
    // resamplers; Opus's decoder and encoder, which work at the mixing rate).
    int mixRate() const { return mixRate_; }
    void setMixRate(int rate);

    // Mixer thread, once per tick, in this order.
    // Takes in what waits in a plain RTP participant's socket (nothing for WebRTC).
    void receiveWaiting(int64_t nowUs) {
        sink_->receiveWaiting([&](const uint8_t* packet, size_t length) { receiveRtp(packet, length, nowUs); });
    }
    // Fills input() with this tick's audio at the room rate; true if there is any.
    bool pullFrame();
    const std::vector<int16_t>& input() const { return input_; }
    int lastLevel() const { return level_; }  // -dBov of this tick's input, 127 = silence
    // The same, for readers on other threads (the admin answer shows what a remote leg carries).
    int recentLevel() const { return recentLevel_.load(std::memory_order_relaxed); }
    // Encodes pcm (room rate, one frame) with this participant's own encoder and sends it.
    void sendOwn(const std::vector<int16_t>& pcm);
    // Sends a payload that was encoded once for every listener of this codec.
    void sendShared(const uint8_t* payload, size_t length);
    // Talking state changes from this tick's level, if any.
    std::optional<bool> talkChange();
    bool talking() const { return talk_.talking(); }

    Json describe() const;  // for listparticipants and admin stats (any thread)
    uint32_t ssrc() const { return ssrc_; }  // of what we send (ZRTP packets carry it too)

private:
    void sendPayload(const uint8_t* payload, size_t length);

    void buildForRate();

    int mixRate_;                        // the room's mixing rate
    std::unique_ptr<AudioSink> sink_;
    audio::JitterBuffer jitter_;
    std::unique_ptr<audio::Decoder> decoder_;
    std::unique_ptr<audio::Encoder> encoder_;
    std::unique_ptr<audio::Resampler> inResampler_;   // codec rate -> room rate, if they differ
    std::unique_ptr<audio::Resampler> outResampler_;  // room rate -> codec rate
    std::vector<int16_t> input_;
    std::vector<int16_t> pending_;        // resampled input not yet used
    std::vector<uint8_t> packet_;
    std::vector<uint8_t> frame_;          // this tick's payload from the jitter buffer (mixing thread)
    audio::TalkDetector talk_;
    std::optional<bool> talkChange_;
    int codedRate_ = 0;
    std::atomic<bool> talking_{false};   // talk_'s state, for readers on other threads
    std::atomic<int> recentLevel_{127};  // level_, for readers on other threads
    int level_ = 127;
    uint16_t sequence_;
    uint32_t timestamp_;
    uint32_t ssrc_;
    bool firstPacket_ = true;
};

}  // namespace sylk::audiomixer
