#include "publisher.hpp"

#include "recording.hpp"
#include "room.hpp"

#include <cstring>

namespace sylk::videoroom {
namespace {
constexpr uint32_t kUncappedRemb = 10'000'000;
}

Publisher::Publisher(janus_callbacks* gateway, janus_plugin_session* handle, std::shared_ptr<VideoRoom> owner,
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
    return json;
}

std::string Publisher::memberId() const { return "janus.plugin.sylk.videoroom/" + std::to_string(id); }

void Publisher::requestKeyframe(int mindex, bool urgent) {
    if (handle_.stopped() || mindex < 0)
        return;
    // A room where many subscribers start at once asks for one keyframe, not one each.
    constexpr int64_t kMinInterval = 300'000;  // us
    auto& last = lastKeyframeRequest_[static_cast<size_t>(mindex) % lastKeyframeRequest_.size()];
    int64_t now = g_get_monotonic_time();
    int64_t previous = last.load(std::memory_order_relaxed);
    if (!urgent && (now - previous < kMinInterval || !last.compare_exchange_strong(previous, now)))
        return;
    last.store(now, std::memory_order_relaxed);
    gateway_->send_pli_stream(handle_.get(), mindex);
}

void Publisher::onRtp(janus_plugin_rtp* packet) {
    auto table = byMindex_.load(std::memory_order_acquire);
    if (packet->mindex < 0 || static_cast<size_t>(packet->mindex) >= table->size())
        return;
    const auto& stream = (*table)[packet->mindex];
    if (!stream)
        return;
    if (auto recording = stream->recording.load(std::memory_order_acquire))
        recording->save(packet->buffer, packet->length);
    if (stream->moderated.load(std::memory_order_relaxed))
        return;
    if (!packet->video && packet->extensions.audio_level >= 0 && talkListener_) {
        if (auto change = stream->talk.add(packet->extensions.audio_level))
            talkListener_(weak_from_this(), *change, stream->talk.lastAverage());
    }
    auto targets = stream->targets.load(std::memory_order_acquire);
    if (targets->empty())
        return;
    // One buffer serves every subscriber: rewrite the header for each, then restore it.
    auto* header = reinterpret_cast<janus_rtp_header*>(packet->buffer);
    const uint32_t ssrc = header->ssrc;
    const uint32_t timestamp = header->timestamp;
    const uint16_t sequence = header->seq_number;
    const uint16_t payloadType = header->type;
    janus_plugin_rtp out = *packet;
    const bool simulcast = packet->video && stream->simulcast;
    int payloadLength = 0;
    char* payload = simulcast ? janus_rtp_payload(packet->buffer, packet->length, &payloadLength) : nullptr;
    if (simulcast && !payload)
        return;
    char vp8Descriptor[6];
    const bool vp8 = simulcast && stream->videoCodec == JANUS_VIDEOCODEC_VP8 && payloadLength >= 6;
    // VP9 SVC: parse the layer information once; each subscriber then keeps its own layers.
    janus_vp9_svc_info svc{};
    gboolean svcFound = FALSE;
    if (packet->video && stream->videoCodec == JANUS_VIDEOCODEC_VP9) {
        int length = 0;
        char* vp9 = janus_rtp_payload(packet->buffer, packet->length, &length);
        if (vp9 && janus_vp9_parse_svc(vp9, length, &svcFound, &svc) != 0)
            svcFound = FALSE;
    }
    const bool marker = header->markerbit;
    for (const auto& target : *targets) {
        if (!target->sending.load(std::memory_order_relaxed) || target->handle.stopped())
            continue;
        if (simulcast) {
            // Only the layer this subscriber wants goes through; switching waits for a keyframe.
            target->simulcast.rid_ext_id = stream->ridExtensionId;
            target->simulcast.substream_target = target->substreamTarget.load(std::memory_order_relaxed);
            target->simulcast.templayer_target = target->temporalTarget.load(std::memory_order_relaxed);
            bool relay = janus_rtp_simulcasting_context_process_rtp(&target->simulcast, packet->buffer, packet->length,
                                                                    stream->ssrcs, stream->rids, stream->videoCodec,
                                                                    &target->context, nullptr);
            if (target->simulcast.need_pli)
                requestKeyframe(stream->mindex);
            if (!relay)
                continue;
        }
        if (svcFound && !keepSvcLayer(*target, svc)) {
            ++target->context.base_seq;  // keep the subscriber's sequence numbers gapless
            continue;
        }
        janus_rtp_header_update(header, &target->context, packet->video, 0);
        header->type = static_cast<uint16_t>(target->pt);
        // The end of the last spatial layer this subscriber gets is the end of its frame.
        if (svcFound && svc.ebit && svc.spatial_layer == target->spatialLayer)
            header->markerbit = 1;
        if (vp8) {
            // The picture ids must stay continuous across layer switches, per subscriber.
            std::memcpy(vp8Descriptor, payload, sizeof(vp8Descriptor));
            janus_vp8_simulcast_descriptor_update(payload, payloadLength, &target->vp8, target->simulcast.changed_substream);
        }
        out.mindex = target->mindex;
        gateway_->relay_rtp(target->handle.get(), &out);
        header->ssrc = ssrc;
        header->timestamp = timestamp;
        header->seq_number = sequence;
        header->type = payloadType;
        header->markerbit = marker;
        if (vp8)
            std::memcpy(payload, vp8Descriptor, sizeof(vp8Descriptor));
    }
}

bool Publisher::keepSvcLayer(SubscriberStream& target, const janus_vp9_svc_info& svc) {
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

void Publisher::onRtcp(janus_plugin_rtcp* packet) {
    // The room's cap reaches the browser as our REMB: in answer to its own REMB, and at least
    // once a second otherwise (a send-only publisher may never send one).
    int64_t now = g_get_monotonic_time();
    bool theirRemb = janus_rtcp_get_remb(packet->buffer, packet->length) > 0;
    if (theirRemb || now - lastRemb_.load(std::memory_order_relaxed) > G_USEC_PER_SEC) {
        lastRemb_.store(now, std::memory_order_relaxed);
        uint32_t cap = bitrateCap_.load(std::memory_order_relaxed);
        gateway_->send_remb(handle_.get(), cap ? cap : kUncappedRemb);
    }
}

}  // namespace sylk::videoroom
