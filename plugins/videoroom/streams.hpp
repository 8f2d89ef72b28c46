// The media streams of a room. A PublishedStream is one m-line a publisher sends; a
// SubscriberStream is one m-line of a subscriber's PeerConnection, fed by one PublishedStream.
//
// Threads: the lists of targets are copy-on-write. The control loop builds a new list and swaps
// it in; the publisher's media thread loads the current list once per packet and never locks.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "sylkcore/janus/codecs.hpp"
#include "sylkcore/janus/handle_ref.hpp"
#include "sylkcore/janus/rtp_switching_context.hpp"
#include "sylkcore/janus/simulcast_context.hpp"
#include "sylkcore/janus/simulcast_source.hpp"
#include "sylkcore/janus/vp8_simulcast_context.hpp"
#include "sylkcore/json.hpp"
#include "sylkcore/audio/talk_detector.hpp"

namespace sylk::videoroom {

enum class MediaKind { Audio, Video, Data };
const char* kindName(MediaKind kind);

class Publisher;
class Recording;
class UdpSender;

struct SubscriberStream {
    SubscriberStream(janus::Handle* subscriberHandle, int mindex);

    janus::HandleRef handle;  // the subscriber's; keeps it valid while a publisher relays to it
    const int mindex;
    const std::string mid;
    MediaKind kind = MediaKind::Audio;
    std::string codec;
    int pt = -1;
    uint64_t feedId = 0;
    std::string feedMid;
    std::string feedDisplay;
    std::string feedDescription;         // e.g. "screen"
    // The source, for keyframe requests: written on the control loop (subscribe, switch), read
    // on the subscriber's media thread, hence atomic.
    std::atomic<std::weak_ptr<Publisher>> publisher;
    std::atomic<int> feedMindex{-1};
    bool active = false;                 // slot in use (false: source gone or unsubscribed)
    std::atomic<bool> sending{false};    // set once the subscriber answered our offer
    janus::RtpSwitchingContext context;  // RTP rewriting: publisher's media thread only
    // Simulcast: the layer this subscriber wants (set on the control loop) and the state of
    // the layer switching (publisher's media thread only).
    std::atomic<bool> autoLayer{true};   // follow the subscriber's bandwidth estimate (REMB)
    std::atomic<int> substreamTarget{2};
    std::atomic<int> temporalTarget{2};
    janus::SimulcastContext simulcast;
    janus::Vp8SimulcastContext vp8;
    // VP9 SVC: the layers this subscriber wants, and the ones it currently gets.
    std::atomic<int> spatialTarget{2};
    std::atomic<int> temporalLayerTarget{2};
    int spatialLayer = -1;   // publisher's media thread only; -1 until the first packet
    int temporalLayer = -1;
    // Set (before the slot is added to a stream's targets) when this slot is a relay to another
    // node rather than a subscriber's m-line: packets go to this socket (FeedRelay).
    std::shared_ptr<UdpSender> udp;
    uint32_t udpSsrc = 0;

    Json describe() const;
};

using TargetList = std::vector<std::shared_ptr<SubscriberStream>>;

struct PublishedStream {
    int mindex = -1;
    std::string mid;
    MediaKind kind = MediaKind::Audio;
    std::string codec;
    int pt = -1;
    std::string description;
    std::atomic<bool> moderated{false};  // muted by a moderator: not relayed
    // Stopped by the publisher itself (a muted microphone, a stopped camera: configure
    // {"streams": [{"mid", "send": false}]}): not relayed either, and shown as muted.
    std::atomic<bool> selfMuted{false};
    // Simulcast (VP8/H.264 with rid or SSRC layers), set up at negotiation, then read and
    // completed (rid -> SSRC) by the publisher's media thread only.
    bool simulcast = false;
    janus::VideoCodec videoCodec = janus::video_codec::None;
    janus::SimulcastSource simulcastSource;
    // Set while the stream is recorded; the media thread saves every packet it receives.
    std::atomic<std::shared_ptr<Recording>> recording;
    audio::TalkDetector talk;                    // audio streams; publisher's media thread only
    // Video: the packets of the frame being received, copied, relayed together once it ends
    // (publisher's media thread only; see Publisher::onRtp).
    struct HeldPacket {
        std::vector<char> data;
        janus::RtpPacket packet;
    };
    std::vector<HeldPacket> held;
    size_t heldCount = 0;
    uint32_t heldTimestamp = 0;
    int64_t heldSince = 0;
    std::atomic<std::shared_ptr<const TargetList>> targets{std::make_shared<const TargetList>()};

    // Control loop only.
    void addTarget(const std::shared_ptr<SubscriberStream>& target);
    void removeTarget(const SubscriberStream* target);
    Json describe() const;
};

}  // namespace sylk::videoroom
