// A subscriber handle: one PeerConnection that receives any number of streams from any number
// of publishers (Janus 1.x multistream). Its m-lines are slots that keep their index for the
// life of the PeerConnection; an unsubscribed slot turns inactive.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "streams.hpp"

namespace sylk::videoroom {

class VideoRoom;

class Subscriber {
public:
    Subscriber(janus::Handle* handle, std::shared_ptr<VideoRoom> room, uint64_t privateId);

    const std::shared_ptr<VideoRoom> room;
    const uint64_t privateId;   // of the participant that owns it, 0 if none given
    bool paused = false;
    bool started = false;       // answered our offer at least once
    int lastN = 0;              // low-bandwidth mode: video of the N latest speakers only; 0 = all
    bool preferScreen = true;   // in low-bandwidth mode, screens come before speakers

    janus::Handle* handle() const { return handle_.get(); }
    // Control loop. A new slot fed by stream of publisher; false if already subscribed.
    std::shared_ptr<SubscriberStream> addSlot(const std::shared_ptr<Publisher>& publisher,
                                              const std::shared_ptr<PublishedStream>& stream);
    // Deactivates the slots fed by feed (optionally only its mid); returns how many.
    int removeFeed(uint64_t feedId, const std::string& mid = "");
    // Called when the answer to our offer arrived: start relaying on every active slot.
    void startSending();
    void stopSending();
    // Asks every source for a keyframe (the PeerConnection just came up).
    void requestKeyframes();
    // Low-bandwidth mode: picks the video slots to relay from the room's speaker order (most
    // recent first), skipping the subscriber's own feed, and starts or stops them.
    void selectVideo(const std::vector<uint64_t>& speakerOrder, uint64_t ownFeed);
    // The SDP offer for the current slots (Janus generates the ICE/DTLS parts).
    Json offer();
    Json describeStreams() const;
    const std::vector<std::shared_ptr<SubscriberStream>>& slots() const { return slots_; }
    void detachAll();  // unhooks every slot from its source (leaving)
    // Feeds an existing slot from another publisher's stream of the same kind and codec,
    // without renegotiation; false if they do not match.
    bool switchSlot(SubscriberStream& slot, const std::shared_ptr<Publisher>& publisher,
                    const std::shared_ptr<PublishedStream>& stream);

    // Media thread: keyframe requests go back to the right publisher stream.
    void onRtcp(janus::RtcpPacket* packet);

private:
    void publishTable();
    bool wanted(const SubscriberStream& slot) const;

    janus::HandleRef handle_;
    std::vector<std::shared_ptr<SubscriberStream>> slots_;
    std::atomic<std::shared_ptr<const TargetList>> byMindex_{std::make_shared<const TargetList>()};
    uint64_t sdpVersion_ = 1;
    std::vector<const SubscriberStream*> selected_;  // video slots chosen by selectVideo
};

}  // namespace sylk::videoroom
