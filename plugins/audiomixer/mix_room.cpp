#include "mix_room.hpp"

#include <algorithm>
#include <cmath>

#include <glib.h>

namespace sylk::audiomixer {

static_assert(static_cast<int>(audio::CodecId::Ilbc20) == 5, "sharedPackets_ has one slot per codec");

MixRoom::MixRoom(std::string roomId, MixRoomSettings roomSettings, TalkListener onTalk)
    : id(std::move(roomId)), settings(std::move(roomSettings)), onTalk_(std::move(onTalk)),
      mixRate_(settings.sampleRate), mix_(static_cast<size_t>(settings.sampleRate / 50)), out_(static_cast<size_t>(settings.sampleRate / 50)) {}

void MixRoom::add(const std::shared_ptr<MixParticipant>& participant) {
    auto next = std::make_shared<ParticipantList>(*participants_.load());
    next->push_back(participant);
    participants_.store(std::move(next));
}

void MixRoom::remove(uint64_t participantId) {
    auto next = std::make_shared<ParticipantList>(*participants_.load());
    std::erase_if(*next, [&](const auto& p) { return p->id == participantId; });
    participants_.store(std::move(next));
}

void MixRoom::addLeg(const std::shared_ptr<MixParticipant>& leg) {
    auto next = std::make_shared<ParticipantList>(*legs_.load());
    next->push_back(leg);
    legs_.store(std::move(next));
}

void MixRoom::removeLeg(uint64_t legId) {
    auto next = std::make_shared<ParticipantList>(*legs_.load());
    std::erase_if(*next, [&](const auto& leg) { return leg->id == legId; });
    legs_.store(std::move(next));
}

std::shared_ptr<MixParticipant> MixRoom::find(uint64_t participantId) const {
    auto list = participants_.load();
    for (const auto& participant : *list) {
        if (participant->id == participantId)
            return participant;
    }
    return nullptr;
}

MixRoom::SharedEncoder& MixRoom::sharedEncoder(audio::CodecId codec) {
    auto it = shared_.find(codec);
    if (it != shared_.end())
        return it->second;
    SharedEncoder encoder;
    const int rate = mixRate();
    encoder.encoder = audio::makeEncoder(codec, rate);
    int codecRate = audio::pcmRate(codec, rate);
    if (codecRate != rate)
        encoder.resampler = std::make_unique<audio::Resampler>(rate, codecRate);
    return shared_.emplace(codec, std::move(encoder)).first->second;
}

void MixRoom::adaptRate(const ParticipantList& list, const ParticipantList& legs, bool recording) {
    int wanted = 8000;
    for (const auto& participant : list)
        wanted = std::max(wanted, participant->nativeRate());
    if (list.empty()) {
        // The bridge alone (pages here, the phones on other nodes): the rate the legs are coded
        // at, which is their nodes' mixing rate. Narrowband from a node of G.711 phones: mixing
        // the pages at 48 kHz for it would cost three times as much for nothing anybody hears.
        int carried = 0;
        for (const auto& leg : legs)
            carried = std::max(carried, leg->codedRate());
        wanted = carried ? carried : settings.sampleRate;  // nothing heard yet: the full rate
        // Lower only after 5 s below (an Opus encoder may narrow its band for a moment);
        // higher at once.
        if (wanted >= mixRate())
            ticksBelow_ = 0;
        else if (++ticksBelow_ < kTicksBeforeLowering)
            wanted = mixRate();
    } else {
        ticksBelow_ = 0;
    }
    wanted = recording ? settings.sampleRate : std::min(wanted, settings.sampleRate);
    const int current = mixRate();
    if (wanted != current) {
        mixRate_.store(wanted, std::memory_order_relaxed);
        mix_.assign(static_cast<size_t>(wanted / 50), 0);
        out_.assign(static_cast<size_t>(wanted / 50), 0);
        shared_.clear();
        legEncoder_ = {};
        legWebEncoder_ = {};
        cueSamplesLeft_ = static_cast<int>(static_cast<int64_t>(cueSamplesLeft_) * wanted / current);
        cuePhase_ = cuePhase_ * static_cast<uint64_t>(wanted) / static_cast<uint64_t>(current);
    }
    for (const auto& participant : list)
        participant->setMixRate(wanted);  // also a newcomer made at the room's full rate
}

void MixRoom::sendLegMix(const std::vector<int32_t>& mix, SharedEncoder& encoder, const ParticipantList& legs,
                         bool withWeb) {
    auto saturate = [](int32_t v) { return static_cast<int16_t>(std::clamp(v, -32768, 32767)); };
    const size_t frame = mix.size();
    for (size_t i = 0; i < frame; ++i)
        out_[i] = saturate(mix[i]);
    if (!encoder.encoder)
        encoder.encoder = audio::makeEncoder(audio::CodecId::Opus, mixRate());  // Opus codes at the mixing rate
    uint8_t payload[1500];
    int bytes = encoder.encoder->encode(out_.data(), static_cast<int>(frame), payload, sizeof(payload));
    ++stats.encodesLegs;
    if (bytes <= 0)
        return;
    for (const auto& leg : legs) {
        if (leg->withWebFeeds.load(std::memory_order_relaxed) == withWeb)
            leg->sendShared(payload, static_cast<size_t>(bytes));
    }
}

void MixRoom::sendToLegs(const ParticipantList& legs) {
    bool plain = false, withWeb = false;
    for (const auto& leg : legs)
        (leg->withWebFeeds.load(std::memory_order_relaxed) ? withWeb : plain) = true;
    if (plain)
        sendLegMix(localMix_, legEncoder_, legs, false);
    if (withWeb) {
        if (!webMixFresh_)  // the flag came on since the web feeds were summed: none this tick
            webMix_.assign(localMix_.size(), 0);
        for (size_t i = 0; i < localMix_.size() && i < webMix_.size(); ++i)
            webMix_[i] += localMix_[i];
        sendLegMix(webMix_, legWebEncoder_, legs, true);
    }
}

void MixRoom::addTones(size_t participants) {
    if (!settings.tones)
        return;
    const int rate = mixRate();
    if (int cue = pendingCue_.exchange(0)) {
        cueFrequency_ = cue == 1 ? 880 : 440;
        cueSamplesLeft_ = rate * 150 / 1000;
    }
    // Alone in the room: 300 ms of 523 Hz every 4 s, so they know the line is alive.
    aloneTicks_ = participants == 1 ? aloneTicks_ + 1 : 0;
    if (participants == 1 && aloneTicks_ % 200 == 25 && cueSamplesLeft_ == 0) {
        cueFrequency_ = 523;
        cueSamplesLeft_ = rate * 300 / 1000;
    }
    for (size_t i = 0; i < mix_.size() && cueSamplesLeft_ > 0; ++i, --cueSamplesLeft_, ++cuePhase_)
        mix_[i] += static_cast<int32_t>(3000 * std::sin(2 * M_PI * cueFrequency_ * static_cast<double>(cuePhase_) / rate));
}

void MixRoom::tick() {
    auto list = participants_.load(std::memory_order_acquire);
    ++stats.ticks;
    auto web = web_.load(std::memory_order_acquire);
    if (list->empty() && !web)
        return;
    auto legs = legs_.load(std::memory_order_acquire);
    auto recorder = recorder_.load(std::memory_order_acquire);
    adaptRate(*list, *legs, recorder != nullptr);
    const size_t frame = mix_.size();
    const int64_t now = g_get_monotonic_time();
    for (const auto& participant : *list)
        participant->receiveWaiting(now);
    for (const auto& leg : *legs) {
        leg->setMixRate(mixRate());  // a leg follows the room's rate: it does not raise it
        leg->receiveWaiting(now);
    }
    if (web)
        web->receive(now, mixRate());
    std::fill(mix_.begin(), mix_.end(), 0);
    // 1. Inputs: who carries sound this tick.
    talkers_.clear();
    for (const auto& participant : *list) {
        bool audible = participant->pullFrame() && participant->lastLevel() < settings.mixThresholdDbov;
        if (auto change = participant->talkChange(); change && onTalk_)
            onTalk_(participant->id, *change, participant->lastLevel());
        if (!audible || participant->onHold || participant->muted || participant->moderatorMuted)
            continue;
        talkers_.push_back(participant.get());
        const auto& pcm = participant->input();
        for (size_t i = 0; i < frame; ++i)
            mix_[i] += pcm[i];
    }
    // 1b. Remote legs: each other node's mix of its own participants. They go into what this
    // node's participants hear (all of them, talkers included: a leg is never anyone's own
    // voice), but never into what the legs are sent: that is the local mix alone. Their
    // talking is not detected here: their node posts its participants' talking to the hub.
    if (!legs->empty()) {
        localMix_.assign(mix_.begin(), mix_.end());
        for (const auto& leg : *legs) {
            if (!leg->pullFrame() || leg->lastLevel() >= settings.mixThresholdDbov)
                continue;
            const auto& pcm = leg->input();
            for (size_t i = 0; i < frame; ++i)
                mix_[i] += pcm[i];
        }
    }
    // 1c. The video room's bridge (web_bridge.hpp): it is sent what is mixed so far (this
    // node's participants and the remote legs), then its web feeds join what this node's
    // participants hear, and only that: the legs got localMix_ above.
    webMixFresh_ = false;
    if (web) {
        web->sendMix(mix_, out_);
        bool legWantsWeb = false;
        for (const auto& leg : *legs)
            legWantsWeb = legWantsWeb || leg->withWebFeeds.load(std::memory_order_relaxed);
        if (legWantsWeb) {
            webMixFresh_ = true;
            // Summed apart too: a leg withWebFeeds gets this node's pages on top of localMix_.
            webMix_.assign(frame, 0);
            web->addFeeds(mix_, &webMix_, settings.mixThresholdDbov);
        } else {
            web->addFeeds(mix_, nullptr, settings.mixThresholdDbov);
        }
    }
    addTones(list->size() + legs->size() + (web ? web->feedCount() : 0));
    auto saturate = [](int32_t v) { return static_cast<int16_t>(std::clamp(v, -32768, 32767)); };
    // 2. Talkers: everyone but themselves, encoded for each of them.
    for (MixParticipant* talker : talkers_) {
        if (talker->onHold)
            continue;
        const auto& own = talker->input();
        for (size_t i = 0; i < frame; ++i)
            out_[i] = saturate(mix_[i] - own[i]);
        talker->sendOwn(out_);
        ++stats.encodesOwn;
    }
    // 3. Everyone else: the full mix, encoded once per codec.
    for (size_t i = 0; i < frame; ++i)
        out_[i] = saturate(mix_[i]);
    if (recorder)
        recorder->write(out_.data(), frame);
    for (auto& packet : sharedPackets_)
        packet.ready = false;
    for (const auto& participant : *list) {
        if (participant->onHold ||
            std::find(talkers_.begin(), talkers_.end(), participant.get()) != talkers_.end())
            continue;
        SharedPacket& packet = sharedPackets_[static_cast<size_t>(participant->codec)];
        if (!packet.ready) {
            SharedEncoder& shared = sharedEncoder(participant->codec);
            uint8_t* payload = packet.data;
            const int capacity = static_cast<int>(sizeof(packet.data));
            int bytes;
            if (shared.resampler) {
                int16_t resampled[5760];
                int codecFrame = audio::pcmRate(participant->codec, mixRate()) / 50;
                int produced = shared.resampler->process(out_.data(), static_cast<int>(frame), resampled,
                                                         static_cast<int>(std::size(resampled)));
                std::fill(resampled + produced, resampled + std::max(produced, codecFrame), 0);
                bytes = shared.encoder->encode(resampled, codecFrame, payload, capacity);
            } else {
                bytes = shared.encoder->encode(out_.data(), static_cast<int>(frame), payload, capacity);
            }
            ++stats.encodesShared;
            packet.ready = true;
            packet.length = static_cast<size_t>(std::max(bytes, 0));
        }
        if (packet.length > 0)
            participant->sendShared(packet.data, packet.length);
    }
    // 4. The remote legs: this node's participants only (localMix_), one encode for all legs.
    if (!legs->empty())
        sendToLegs(*legs);
}

}  // namespace sylk::audiomixer
