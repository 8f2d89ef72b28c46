// The audio bridge between a mixing room and the video room of the same name (docs/
// architecture.md, "Web users and phones hear each other"). The video room drives it through
// hub services (audiomixer_bridge.cpp): while the room has both web publishers with audio and
// mixer participants, each web publisher's audio comes in as a "web feed" (an Opus plain RTP
// input relayed by the video room's FeedRelay), and the room sends the video room one "web
// mix" (Opus, to the video room's audio-only mix feed).
//
// The mixing rule (MixRoom::tick): a participant of this node hears everything but itself,
// web feeds included; the web mix is this node's participants and the remote legs, never the
// web feeds (browsers hear each other through the SFU already); the remote legs are sent this
// node's participants only, never the web feeds (the other node's pages get our web users
// through the video relay, and its own bridge feeds them to its phones), except a leg to a
// node without pages, which is sent this node's own pages on top (never the feeds relayed
// here from other nodes: their node's leg carries them).
//
// Membership is copy-on-write (control loop); receive/addFeeds/sendMix run on the mixer thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <memory>
#include <vector>

#include "mix_participant.hpp"

namespace sylk::audiomixer {

class WebBridge {
public:
    using FeedList = std::vector<std::shared_ptr<MixParticipant>>;

    // output: the Opus participant whose sink sends to the video room's mix feed.
    explicit WebBridge(std::shared_ptr<MixParticipant> output) : output_(std::move(output)) {}

    MixParticipant& output() const { return *output_; }

    // Control loop: a web publisher's audio in (a MixParticipant whose id is the video room's
    // feed id), or out.
    void addFeed(const std::shared_ptr<MixParticipant>& feed) {
        auto next = std::make_shared<FeedList>(*feeds_.load());
        std::erase_if(*next, [&](const auto& existing) { return existing->id == feed->id; });
        next->push_back(feed);
        feeds_.store(std::move(next));
    }
    bool removeFeed(uint64_t feedId) {
        auto next = std::make_shared<FeedList>(*feeds_.load());
        bool removed = std::erase_if(*next, [&](const auto& feed) { return feed->id == feedId; }) > 0;
        feeds_.store(std::move(next));
        return removed;
    }
    std::shared_ptr<const FeedList> feeds() const { return feeds_.load(); }

    // Mixer thread, once per tick, before the room sums its inputs.
    void receive(int64_t nowUs, int mixRate) {
        output_->setMixRate(mixRate);  // the bridge follows the room's rate: it does not raise it
        for (const auto& feed : *feeds_.load(std::memory_order_acquire)) {
            feed->setMixRate(mixRate);
            feed->receiveWaiting(nowUs);
        }
    }
    // Mixer thread: sends mix (this tick's participants and remote legs, not yet the web feeds)
    // to the video room; scratch is a frame-sized buffer the room lends.
    void sendMix(const std::vector<int32_t>& mix, std::vector<int16_t>& scratch) {
        for (size_t i = 0; i < mix.size(); ++i)
            scratch[i] = static_cast<int16_t>(std::clamp(mix[i], -32768, 32767));
        output_->sendOwn(scratch);
        mixesSent.fetch_add(1, std::memory_order_relaxed);
    }
    // Mixer thread: adds the web feeds that carry sound this tick to all (what the room's own
    // participants hear) and, when given, those of this node's own pages to ownPages (what a
    // leg to a node without pages is sent on top: a feed relayed from another node reaches
    // that node through its own node's leg). Their talking is not detected here: the video
    // room detects it.
    void addFeeds(std::vector<int32_t>& all, std::vector<int32_t>* ownPages, int thresholdDbov) {
        for (const auto& feed : *feeds_.load(std::memory_order_acquire)) {
            if (!feed->pullFrame() || feed->lastLevel() >= thresholdDbov)
                continue;
            const auto& pcm = feed->input();
            const size_t frame = std::min(all.size(), pcm.size());
            for (size_t i = 0; i < frame; ++i)
                all[i] += pcm[i];
            if (ownPages && !feed->relayedFeed.load(std::memory_order_relaxed)) {
                for (size_t i = 0; i < frame && i < ownPages->size(); ++i)
                    (*ownPages)[i] += pcm[i];
            }
        }
    }
    size_t feedCount() const { return feeds_.load()->size(); }

    std::atomic<uint64_t> mixesSent{0};

private:
    std::shared_ptr<MixParticipant> output_;
    std::atomic<std::shared_ptr<const FeedList>> feeds_{std::make_shared<const FeedList>()};
};

}  // namespace sylk::audiomixer
