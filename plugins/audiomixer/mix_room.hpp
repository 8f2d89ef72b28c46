// A mixing room. Every 20 ms (MixerClock) it pulls a frame from each participant, sums the
// voices that carry sound, and sends: to each of those talkers the mix minus their own voice,
// encoded for them alone; to everyone else the same full mix, encoded once per codec and
// shared. That shared encode is what lets a room of mostly listeners cost little.
//
// The room mixes at the highest rate its participants' codecs carry, up to its sampling_rate:
// a room of G.711 phones mixes at 8 kHz, with G.722 at 16 kHz, with a browser (Opus) at the
// full rate. Nothing audible is lost, and phones-only rooms skip all resampling (most of the
// mixer's work otherwise). A recorded room mixes at its sampling_rate, the file's one rate.
//
// In a cluster, a room with participants on several nodes also has one remote leg per other
// such node (docs/cluster.md, "Audio across nodes"): an Opus stream of that node's own mix.
// Legs are not participants (not listed, counted, announced, muted or talk-detected): this
// node's participants hear the legs as if they were talkers, and every leg is sent the mix of
// this node's participants only, never another leg's audio, so with three nodes nobody hears
// a third node's voices twice (once directly, once relayed through the second).
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mix_participant.hpp"
#include "wav_recorder.hpp"
#include "web_bridge.hpp"

namespace sylk::audiomixer {

struct MixRoomSettings {
    std::string description;
    std::string pin;
    std::string secret;
    int sampleRate = 48000;
    int64_t maxParticipants = 100;
    bool isPrivate = false;
    bool onDemand = false;
    int mixThresholdDbov = 50;  // quieter frames are not mixed (comfort noise, line hiss)
    bool tones = false;         // join/leave beeps, and a soft tone while someone is alone
};

struct MixStats {
    std::atomic<uint64_t> ticks{0};
    std::atomic<uint64_t> encodesOwn{0};
    std::atomic<uint64_t> encodesShared{0};
    std::atomic<uint64_t> encodesLegs{0};  // the local mix encoded for the remote legs (once per tick)
};

class MixRoom {
public:
    using ParticipantList = std::vector<std::shared_ptr<MixParticipant>>;
    // Called on the mixer thread when a participant starts or stops talking.
    using TalkListener = std::function<void(uint64_t participantId, bool talking, int level)>;

    MixRoom(std::string id, MixRoomSettings settings, TalkListener onTalk);

    const std::string id;
    MixRoomSettings settings;  // control loop
    MixStats stats;

    // Control loop: copy-on-write membership.
    void add(const std::shared_ptr<MixParticipant>& participant);
    void remove(uint64_t participantId);
    std::shared_ptr<MixParticipant> find(uint64_t participantId) const;
    std::shared_ptr<const ParticipantList> participants() const { return participants_.load(); }
    size_t size() const { return participants_.load()->size(); }

    // Control loop: remote legs (copy-on-write as participants are). A leg is a plain Opus RTP
    // MixParticipant whose id is the leg's id; ids of legs and participants are kept apart by
    // the lists, not by value.
    void addLeg(const std::shared_ptr<MixParticipant>& leg);
    void removeLeg(uint64_t legId);
    std::shared_ptr<const ParticipantList> legs() const { return legs_.load(); }

    // Control loop: the audio bridge to the video room of the same name (web_bridge.hpp), or
    // none (nullptr). Its web feeds are heard by this node's participants only.
    void setWebBridge(std::shared_ptr<WebBridge> bridge) { web_.store(std::move(bridge)); }
    std::shared_ptr<WebBridge> webBridge() const { return web_.load(); }

    // Control loop: a short beep for everyone (join: high, leave: low), if tones are on.
    void cue(bool joined) { pendingCue_ = joined ? 1 : 2; }
    // Control loop: starts (or, with nullptr, stops) recording the mix.
    void setRecorder(std::shared_ptr<WavRecorder> recorder) { recorder_.store(std::move(recorder)); }
    std::shared_ptr<WavRecorder> recorder() const { return recorder_.load(); }

    // Mixer thread. A room ticks with participants, or with a web bridge (a node whose pages
    // hear another node's phones through a leg: no participant here).
    void tick();
    int mixRate() const { return mixRate_.load(std::memory_order_relaxed); }  // any thread

private:
    struct SharedEncoder {
        std::unique_ptr<audio::Encoder> encoder;
        std::unique_ptr<audio::Resampler> resampler;  // room rate -> codec rate, if needed
    };
    SharedEncoder& sharedEncoder(audio::CodecId codec);
    // Sets the mixing rate this tick's participants need (and a recording, if any).
    void adaptRate(const ParticipantList& list, const ParticipantList& legs, bool recording);
    static constexpr int kTicksBeforeLowering = 250;  // 5 s
    int ticksBelow_ = 0;  // ticks the legs have carried less than the mixing rate
    // Adds this tick's notification tone, if any, to mix_.
    void addTones(size_t participants);

    TalkListener onTalk_;
    std::atomic<std::shared_ptr<const ParticipantList>> participants_{std::make_shared<const ParticipantList>()};
    std::atomic<std::shared_ptr<const ParticipantList>> legs_{std::make_shared<const ParticipantList>()};
    // Sends the remote legs this tick's local mix (localMix_): one encode for all of them, and
    // one more with the web feeds (webMix_) for the legs withWebFeeds.
    void sendToLegs(const ParticipantList& legs);
    // Encodes mix for legs (the ones whose withWebFeeds is withWeb) with encoder.
    void sendLegMix(const std::vector<int32_t>& mix, SharedEncoder& encoder, const ParticipantList& legs, bool withWeb);
    SharedEncoder legEncoder_;       // mixer thread; rebuilt when the mixing rate changes
    SharedEncoder legWebEncoder_;    // the same, for the legs withWebFeeds
    std::vector<int32_t> localMix_;  // this tick's sum of local talkers, before legs and tones
    std::vector<int32_t> webMix_;    // this tick's web feeds (only when a leg wants them)
    bool webMixFresh_ = false;       // webMix_ was summed this tick
    std::map<audio::CodecId, SharedEncoder> shared_;  // mixer thread only
    // One tick's shared encode per codec (indexed by CodecId); buffers reused, no allocation per tick.
    struct SharedPacket {
        bool ready = false;
        size_t length = 0;
        uint8_t data[1500];
    };
    std::array<SharedPacket, 6> sharedPackets_{};
    std::vector<MixParticipant*> talkers_;  // this tick's, reused
    std::atomic<int> mixRate_;
    std::vector<int32_t> mix_;
    std::vector<int16_t> out_;
    std::atomic<int> pendingCue_{0};
    std::atomic<std::shared_ptr<WavRecorder>> recorder_;
    std::atomic<std::shared_ptr<WebBridge>> web_;
    int cueFrequency_ = 0;
    int cueSamplesLeft_ = 0;
    uint64_t cuePhase_ = 0;
    uint64_t aloneTicks_ = 0;
};

}  // namespace sylk::audiomixer
