// A participant of a room (the "publisher" role of the stock API, whether or not it sends
// media yet) and, once it publishes, the source its subscribers are fed from.
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "streams.hpp"
#include "sylkcore/janus/gateway.hpp"
#include "sylkcore/janus/vp9_svc.hpp"

namespace sylk::videoroom {

class VideoRoom;

class Publisher : public std::enable_shared_from_this<Publisher> {
public:
    Publisher(janus::Gateway gateway, janus::Handle* handle, std::shared_ptr<VideoRoom> room, uint64_t id,
              uint64_t privateId, std::string display);

    const uint64_t id;
    const uint64_t privateId;
    std::string display;                // control loop
    const std::shared_ptr<VideoRoom> room;
    bool active = false;                // PeerConnection up and streams announced (control loop)
    // The audio mixer's mix of the room's phones (RoomAudioBridge): "audio_mix" in its
    // "publishers" entry, so pages play it without showing a tile.
    bool audioMix = false;
    bool moderator = false;             // joined with the room secret, or made the room by joining
    bool handRaised = false;
    uint64_t handRaisedOrder = 0;       // the room's handSequence when raised: the queue's order
    // The hub room's last event when the join reply's history was read: a public chat numbered
    // at or below it was in that history, and is not sent again as it comes in.
    uint64_t historyThrough = 0;
    std::string fileToken;              // for the room's files over HTTP; revoked on leave

    janus::Handle* handle() const { return handle_.get(); }
    bool publishing() const { return !streams_.empty(); }
    // Control loop: replaces what this participant publishes (empty: unpublished).
    void setStreams(std::vector<std::shared_ptr<PublishedStream>> streams);
    const std::vector<std::shared_ptr<PublishedStream>>& streams() const { return streams_; }
    std::shared_ptr<PublishedStream> findStream(const std::string& mid) const;
    // {"id", "display", "streams"} as in the stock "publishers" lists.
    Json describe() const;
    std::string memberId() const;

    void setBitrateCap(uint32_t bitsPerSecond) { bitrateCap_ = bitsPerSecond; }
    // Called on the media thread when talking starts or stops (set once, before media flows).
    using TalkListener = std::function<void(std::weak_ptr<Publisher>, bool talking, int averageLevel)>;
    void setTalkListener(TalkListener listener) { talkListener_ = std::move(listener); }
    bool talking = false;               // control loop's view, updated from the listener
    // Any thread: asks the browser for a keyframe on that stream. Requests closer than 300 ms
    // to the previous one are dropped unless urgent (a subscriber's PeerConnection just came
    // up, or it switched source): a crowd of subscribers' PLIs makes one keyframe.
    void requestKeyframe(int mindex, bool urgent = false);
    // A feed relayed from another node (RemoteFeed) has no handle: its keyframe requests go to
    // this sink instead (which asks the publisher's node). Set once, before media flows.
    using KeyframeSink = std::function<void(int mindex, bool urgent)>;
    void setKeyframeSink(KeyframeSink sink) { keyframeSink_ = std::move(sink); }
    bool remote() const { return static_cast<bool>(keyframeSink_); }

    // Media thread of this publisher's handle.
    void onRtp(janus::RtpPacket* packet);
    void onRtcp(janus::RtcpPacket* packet);

private:
    // One packet as every subscriber gets it: its header fields (restored after each rewrite)
    // and what is parsed once for all (simulcast payload, VP9 SVC layers).
    struct Outgoing {
        janus::RtpPacket* packet = nullptr;
        janus::RtpHeader* header = nullptr;
        uint32_t ssrc = 0, timestamp = 0;
        uint16_t sequence = 0, payloadType = 0;
        bool marker = false;
        char* payload = nullptr;       // simulcast only
        int payloadLength = 0;
        bool vp8 = false;              // simulcast VP8: the descriptor is rewritten per subscriber
        janus::Vp9SvcInfo svc{};
        bool svcFound = false;
    };
    bool prepare(PublishedStream& stream, janus::RtpPacket* packet, Outgoing& out);
    void relayTo(PublishedStream& stream, SubscriberStream& target, Outgoing& out);
    void hold(PublishedStream& stream, const janus::RtpPacket* packet);
    void flushHeld(PublishedStream& stream, const TargetList& targets);
    std::vector<Outgoing> outgoing_;  // flushHeld's scratch list, media thread only

    // VP9 SVC: whether target gets this packet, moving its layers towards what it wants.
    bool keepSvcLayer(SubscriberStream& target, const janus::Vp9SvcInfo& svc);

    using StreamTable = std::vector<std::shared_ptr<PublishedStream>>;  // indexed by mindex

    janus::Gateway gateway_;
    janus::HandleRef handle_;
    std::vector<std::shared_ptr<PublishedStream>> streams_;
    std::atomic<std::shared_ptr<const StreamTable>> byMindex_{std::make_shared<const StreamTable>()};
    std::atomic<uint32_t> bitrateCap_{0};
    std::atomic<int64_t> lastRemb_{0};
    // Last keyframe request per m-line (mindex % 16), to throttle bursts of subscribers' PLIs.
    std::array<std::atomic<int64_t>, 16> lastKeyframeRequest_{};
    TalkListener talkListener_;
    KeyframeSink keyframeSink_;
};

}  // namespace sylk::videoroom
