#include "publisher.hpp"

#include "recording.hpp"
#include "room.hpp"
#include "sylkcore/janus/rtp.hpp"
#include "udp_sender.hpp"

#include <cstring>

namespace sylk::videoroom {
namespace {
constexpr uint32_t kUncappedRemb = 10'000'000;
}

Publisher::Publisher(janus::Gateway gateway, janus::Handle* handle, std::shared_ptr<VideoRoom> owner,
                     uint64_t participantId, uint64_t participantPrivateId, std::string name)
    : id(participantId), privateId(participantPrivateId), display(std::move(name)), room(std::move(owner)),
      gateway_(gateway), handle_(handle) {}

void Publisher::setStreams(std::vector<std::shared_ptr<PublishedStream>> streams) {
    streams_ = std::move(streams);
    auto table = std::make_shared<StreamTable>();
    for (const auto& stream : streams_) {
        if (stream->mindex < 0 || stream->mindex > 64)
            continue;
        if (table->size() <= static_cast<size_t>(stream->mindex))
            table->resize(stream->mindex + 1);
        (*table)[stream->mindex] = stream;
    }
    byMindex_.store(std::move(table));
}

std::shared_ptr<PublishedStream> Publisher::findStream(const std::string& mid) const {
    for (const auto& stream : streams_) {
        if (stream->mid == mid)
            return stream;
    }
    return nullptr;
}

Json Publisher::describe() const {
    Json list = Json::array();
    for (const auto& stream : streams_)
        list.append(stream->describe());
    Json json = Json::object();
    json.set("id", static_cast<json_int_t>(id)).set("display", display).set("streams", list);
    if (handRaised)
        json.setBool("hand_raised", true);
    if (audioMix)
        json.setBool("audio_mix", true);
    return json;
}

std::string Publisher::memberId() const { return "janus.plugin.sylk.videoroom/" + std::to_string(id); }

void Publisher::requestKeyframe(int mindex, bool urgent) {
    if (mindex < 0 || (!keyframeSink_ && handle_.stopped()))
        return;
    // A room where many subscribers start at once asks for one keyframe, not one each.
    constexpr int64_t kMinInterval = 300'000;  // us
    auto& last = lastKeyframeRequest_[static_cast<size_t>(mindex) % lastKeyframeRequest_.size()];
    int64_t now = g_get_monotonic_time();
    int64_t previous = last.load(std::memory_order_relaxed);
    if (!urgent && (now - previous < kMinInterval || !last.compare_exchange_strong(previous, now)))
        return;
    last.store(now, std::memory_order_relaxed);
    if (keyframeSink_)
        keyframeSink_(mindex, urgent);
    else
        gateway_.sendPliStream(handle_.get(), mindex);
}

void Publisher::onRtp(janus::RtpPacket* packet) {
    auto table = byMindex_.load(std::memory_order_acquire);
    if (packet->mindex < 0 || static_cast<size_t>(packet->mindex) >= table->size())
        return;
    const auto& stream = (*table)[packet->mindex];
    if (!stream)
        return;
    if (auto recording = stream->recording.load(std::memory_order_acquire))
        recording->save(packet->buffer, packet->length);
    if (stream->moderated.load(std::memory_order_relaxed) || stream->selfMuted.load(std::memory_order_relaxed)) {
        stream->heldCount = 0;  // a frame cut short by a mute is not relayed later
        return;
    }
    if (!packet->video && packet->extensions.audio_level >= 0 && talkListener_) {
        if (auto change = stream->talk.add(packet->extensions.audio_level))
            talkListener_(weak_from_this(), *change, stream->talk.lastAverage());
    }
    auto targets = stream->targets.load(std::memory_order_acquire);
    if (targets->empty()) {
        stream->heldCount = 0;
        return;
    }
    if (!packet->video) {
        Outgoing out;
        if (!prepare(*stream, packet, out))
            return;
        for (const auto& target : *targets)
            relayTo(*stream, *target, out);
        return;
    }
    // Video goes out a frame at a time: the packets of a frame are held (copied) until its last
    // one (marker bit), then each subscriber gets the whole frame in a row. Janus core wakes a
    // subscriber's thread for every packet it queues; a thread that wakes to find the frame's
    // packets already queued sends them all in one go instead of one wake-up per packet, and
    // those wake-ups are most of what a forwarded packet costs. A frame also goes out when the
    // next one starts (its last packet was lost), when 32 packets are held, or when its first
    // packet has waited 5 ms (a paced sender): the added delay stays below that.
    auto* header = reinterpret_cast<const janus::RtpHeader*>(packet->buffer);
    if (packet->length < 12)
        return;
    const uint32_t timestamp = ntohl(header->timestamp);
    if (stream->heldCount > 0 && timestamp != stream->heldTimestamp)
        flushHeld(*stream, *targets);
    hold(*stream, packet);
    constexpr size_t kMaxHeld = 32;
    constexpr int64_t kMaxHoldUs = 5'000;
    if (header->markerbit || stream->heldCount >= kMaxHeld ||
        g_get_monotonic_time() - stream->heldSince >= kMaxHoldUs)
        flushHeld(*stream, *targets);
}

void Publisher::hold(PublishedStream& stream, const janus::RtpPacket* packet) {
    if (stream.heldCount == 0) {
        stream.heldTimestamp = ntohl(reinterpret_cast<const janus::RtpHeader*>(packet->buffer)->timestamp);
        stream.heldSince = g_get_monotonic_time();
    }
    if (stream.held.size() <= stream.heldCount) {
        stream.held.emplace_back();
        stream.held.back().data.reserve(1500);  // a packet fits, so no allocation per packet
    }
    auto& slot = stream.held[stream.heldCount++];
    slot.data.assign(packet->buffer, packet->buffer + packet->length);
    slot.packet = *packet;
    slot.packet.buffer = slot.data.data();
}

void Publisher::flushHeld(PublishedStream& stream, const TargetList& targets) {
    outgoing_.clear();
    outgoing_.reserve(stream.heldCount);
    for (size_t i = 0; i < stream.heldCount; ++i) {
        Outgoing out;
        if (prepare(stream, &stream.held[i].packet, out))
            outgoing_.push_back(out);
    }
    stream.heldCount = 0;
    // Subscriber by subscriber, not packet by packet: relayed packet-major, each packet wakes
    // every subscriber's thread in turn and they send one packet per wake-up (measured).
    for (const auto& target : targets) {
        for (auto& out : outgoing_)
            relayTo(stream, *target, out);
    }
}

bool Publisher::prepare(PublishedStream& stream, janus::RtpPacket* packet, Outgoing& out) {
    out.packet = packet;
    out.header = reinterpret_cast<janus::RtpHeader*>(packet->buffer);
    out.ssrc = out.header->ssrc;
    out.timestamp = out.header->timestamp;
    out.sequence = out.header->seq_number;
    out.payloadType = out.header->type;
    out.marker = out.header->markerbit;
    const bool simulcast = packet->video && stream.simulcast;
    if (simulcast) {
        out.payload = janus::rtpPayload(packet->buffer, packet->length, &out.payloadLength);
        if (!out.payload)
            return false;
        out.vp8 = stream.videoCodec == janus::video_codec::Vp8 && out.payloadLength >= 6;
    }
    // VP9 SVC: parse the layer information once; each subscriber then keeps its own layers.
    if (packet->video && stream.videoCodec == janus::video_codec::Vp9) {
        int length = 0;
        char* vp9 = janus::rtpPayload(packet->buffer, packet->length, &length);
        out.svcFound = vp9 && janus::parseVp9Svc(vp9, length, out.svc);
    }
    return true;
}

void Publisher::relayTo(PublishedStream& stream, SubscriberStream& target, Outgoing& out) {
    if (!target.sending.load(std::memory_order_relaxed) || (!target.udp && target.handle.stopped()))
        return;
    janus::RtpPacket* packet = out.packet;
    janus::RtpHeader* header = out.header;
    if (packet->video && stream.simulcast) {
        // Only the layer this subscriber wants goes through; switching waits for a keyframe.
        bool relay = target.simulcast.process(packet->buffer, packet->length, stream.simulcastSource, stream.videoCodec,
                                              target.substreamTarget.load(std::memory_order_relaxed),
                                              target.temporalTarget.load(std::memory_order_relaxed), target.context);
        if (target.simulcast.needsKeyframe())
            requestKeyframe(stream.mindex);
        if (!relay)
            return;
    }
    if (out.svcFound && !keepSvcLayer(target, out.svc)) {
        target.context.skipPacket();  // keep the subscriber's sequence numbers gapless
        return;
    }
    target.context.rewrite(header, packet->video);
    header->type = static_cast<uint16_t>(target.pt);
    // The end of the last spatial layer this subscriber gets is the end of its frame.
    if (out.svcFound && out.svc.ebit && out.svc.spatial_layer == target.spatialLayer)
        header->markerbit = 1;
    char vp8Descriptor[6];
    if (out.vp8) {
        // The picture ids must stay continuous across layer switches, per subscriber.
        std::memcpy(vp8Descriptor, out.payload, sizeof(vp8Descriptor));
        target.vp8.updateDescriptor(out.payload, out.payloadLength, target.simulcast.changedSubstream());
    }
    // One buffer serves every subscriber: rewrite the header for each, then restore it.
    if (target.udp) {
        // A relay to another node: plain RTP, one SSRC per relayed stream, the payload type
        // naming the publisher's m-line (docs/cluster.md "Video across nodes").
        header->ssrc = htonl(target.udpSsrc);
        target.udp->send(packet->buffer, static_cast<size_t>(packet->length));
    } else {
        janus::RtpPacket relayed = *packet;
        relayed.mindex = target.mindex;
        gateway_.relayRtp(target.handle.get(), relayed);
    }
    header->ssrc = out.ssrc;
    header->timestamp = out.timestamp;
    header->seq_number = out.sequence;
    header->type = out.payloadType;
    header->markerbit = out.marker;
    if (out.vp8)
        std::memcpy(out.payload, vp8Descriptor, sizeof(vp8Descriptor));
}

bool Publisher::keepSvcLayer(SubscriberStream& target, const janus::Vp9SvcInfo& svc) {
    const int spatialTarget = target.spatialTarget.load(std::memory_order_relaxed);
    const int temporalTarget = target.temporalLayerTarget.load(std::memory_order_relaxed);
    if (target.spatialLayer < 0) {
        target.spatialLayer = spatialTarget;
        target.temporalLayer = temporalTarget;
    }
    // Spatial: go up at the start of an independently decodable frame of a higher layer (ask
    // for one), go down at the end of a frame of the target layer.
    if (spatialTarget > target.spatialLayer) {
        if (svc.spatial_layer > target.spatialLayer && svc.spatial_layer <= spatialTarget && !svc.pbit && svc.bbit)
            target.spatialLayer = svc.spatial_layer;
        else
            requestKeyframe(target.feedMindex);
    } else if (spatialTarget < target.spatialLayer && svc.ebit && svc.spatial_layer == spatialTarget) {
        target.spatialLayer = spatialTarget;
    }
    if (svc.spatial_layer > target.spatialLayer)
        return false;
    // Temporal: up at a switching point (U and B bits), down at the end of a target-layer frame.
    if (temporalTarget > target.temporalLayer) {
        if (svc.ubit && svc.bbit && svc.temporal_layer > target.temporalLayer && svc.temporal_layer <= temporalTarget)
            target.temporalLayer = svc.temporal_layer;
    } else if (temporalTarget < target.temporalLayer && svc.ebit && svc.temporal_layer == temporalTarget) {
        target.temporalLayer = temporalTarget;
    }
    return svc.temporal_layer <= target.temporalLayer;
}

void Publisher::onRtcp(janus::RtcpPacket* packet) {
    // The room's cap reaches the browser as our REMB: in answer to its own REMB, and at least
    // once a second otherwise (a send-only publisher may never send one).
    int64_t now = g_get_monotonic_time();
    bool theirRemb = janus::rtcpRemb(packet->buffer, packet->length) > 0;
    if (theirRemb || now - lastRemb_.load(std::memory_order_relaxed) > G_USEC_PER_SEC) {
        lastRemb_.store(now, std::memory_order_relaxed);
        uint32_t cap = bitrateCap_.load(std::memory_order_relaxed);
        gateway_.sendRemb(handle_.get(), cap ? cap : kUncappedRemb);
    }
}

}  // namespace sylk::videoroom
