#include "subscriber.hpp"

#include <algorithm>
#include <memory>

#include "publisher.hpp"
#include "room.hpp"
#include "sylkcore/janus/rtp.hpp"
#include "sylkcore/janus/sdp_offer_builder.hpp"

namespace sylk::videoroom {
namespace {

janus::SdpMedia sdpType(MediaKind kind) {
    switch (kind) {
    case MediaKind::Audio: return janus::SdpMedia::Audio;
    case MediaKind::Video: return janus::SdpMedia::Video;
    case MediaKind::Data: return janus::SdpMedia::Application;
    }
    return janus::SdpMedia::Audio;
}

}  // namespace

Subscriber::Subscriber(janus::Handle* handle, std::shared_ptr<VideoRoom> owner, uint64_t ownerPrivateId)
    : room(std::move(owner)), privateId(ownerPrivateId), handle_(handle) {}

std::shared_ptr<SubscriberStream> Subscriber::addSlot(const std::shared_ptr<Publisher>& publisher,
                                                      const std::shared_ptr<PublishedStream>& stream) {
    for (const auto& slot : slots_) {
        if (slot->active && slot->feedId == publisher->id && slot->feedMid == stream->mid)
            return nullptr;
    }
    auto slot = std::make_shared<SubscriberStream>(handle_.get(), static_cast<int>(slots_.size()));
    slot->kind = stream->kind;
    slot->codec = stream->codec;
    slot->pt = stream->pt;
    slot->feedId = publisher->id;
    slot->feedMid = stream->mid;
    slot->feedMindex = stream->mindex;
    slot->feedDisplay = publisher->display;
    slot->feedDescription = stream->description;
    slot->publisher = publisher;
    slot->active = true;
    stream->addTarget(slot);
    slots_.push_back(slot);
    publishTable();
    return slot;
}

int Subscriber::removeFeed(uint64_t feedId, const std::string& mid) {
    int removed = 0;
    for (const auto& slot : slots_) {
        if (!slot->active || slot->feedId != feedId || (!mid.empty() && slot->feedMid != mid))
            continue;
        slot->sending = false;
        slot->active = false;
        if (auto publisher = slot->publisher.load().lock()) {
            if (auto stream = publisher->findStream(slot->feedMid))
                stream->removeTarget(slot.get());
        }
        ++removed;
    }
    return removed;
}

void Subscriber::detachAll() {
    for (const auto& slot : slots_) {
        if (slot->active)
            removeFeed(slot->feedId);
    }
}

bool Subscriber::wanted(const SubscriberStream& slot) const {
    if (slot.kind != MediaKind::Video || lastN == 0)
        return true;
    return std::find(selected_.begin(), selected_.end(), &slot) != selected_.end();
}

void Subscriber::selectVideo(const std::vector<uint64_t>& speakerOrder, uint64_t ownFeed) {
    selected_.clear();
    if (lastN > 0) {
        auto take = [&](auto&& accept) {
            for (const auto& slot : slots_) {
                if (static_cast<int>(selected_.size()) >= lastN)
                    return;
                if (slot->active && slot->kind == MediaKind::Video && accept(*slot) &&
                    std::find(selected_.begin(), selected_.end(), slot.get()) == selected_.end())
                    selected_.push_back(slot.get());
            }
        };
        if (preferScreen)
            take([](const SubscriberStream& slot) { return slot.feedDescription == "screen"; });
        for (uint64_t speaker : speakerOrder) {
            if (speaker != ownFeed)
                take([&](const SubscriberStream& slot) { return slot.feedId == speaker && slot.feedDescription != "screen"; });
        }
    }
    if (!started || paused)
        return;
    for (const auto& slot : slots_) {
        if (!slot->active || slot->kind != MediaKind::Video)
            continue;
        bool want = wanted(*slot);
        if (want && !slot->sending) {
            slot->sending = true;
            if (auto publisher = slot->publisher.load().lock())
                publisher->requestKeyframe(slot->feedMindex, true);
        } else if (!want && slot->sending) {
            slot->sending = false;
        }
    }
}

bool Subscriber::switchSlot(SubscriberStream& slot, const std::shared_ptr<Publisher>& publisher,
                            const std::shared_ptr<PublishedStream>& stream) {
    if (slot.kind != stream->kind || slot.codec != stream->codec)
        return false;
    if (slot.active) {
        if (auto previous = slot.publisher.load().lock()) {
            if (auto source = previous->findStream(slot.feedMid))
                source->removeTarget(&slot);
        }
    }
    // Only the control loop reads these; the media path sees the slot in the new source's
    // target list, and Janus's switching context keeps sequence numbers and timestamps going.
    slot.feedId = publisher->id;
    slot.feedMid = stream->mid;
    slot.feedMindex = stream->mindex;
    slot.feedDisplay = publisher->display;
    slot.feedDescription = stream->description;
    slot.publisher = publisher;
    slot.active = true;
    for (const auto& owned : slots_) {
        if (owned.get() == &slot)
            stream->addTarget(owned);
    }
    if (slot.sending)
        publisher->requestKeyframe(stream->mindex, true);
    return true;
}

void Subscriber::startSending() {
    started = true;
    if (paused)
        return;
    for (const auto& slot : slots_) {
        if (!slot->active || slot->sending || !wanted(*slot))
            continue;
        slot->sending = true;
        if (auto publisher = slot->publisher.load().lock())
            publisher->requestKeyframe(slot->feedMindex);
    }
}

void Subscriber::requestKeyframes() {
    for (const auto& slot : slots_) {
        if (!slot->active || slot->kind != MediaKind::Video)
            continue;
        if (auto publisher = slot->publisher.load().lock())
            publisher->requestKeyframe(slot->feedMindex, true);
    }
}

void Subscriber::stopSending() {
    for (const auto& slot : slots_)
        slot->sending = false;
}

void Subscriber::publishTable() {
    byMindex_.store(std::make_shared<const TargetList>(slots_));
}

Json Subscriber::offer() {
    std::string name = "Sylk room " + room->id.key;
    janus::SdpOfferBuilder sdp(name);
    for (const auto& slot : slots_)
        sdp.addMedia(sdpType(slot->kind), slot->mid, slot->pt, slot->codec, slot->active);
    return sdp.write(++sdpVersion_);
}

Json Subscriber::describeStreams() const {
    Json list = Json::array();
    for (const auto& slot : slots_)
        list.append(slot->describe());
    return list;
}

void Subscriber::onRtcp(janus::RtcpPacket* packet) {
    auto table = byMindex_.load(std::memory_order_acquire);
    if (uint32_t estimate = janus::rtcpRemb(packet->buffer, packet->length); estimate > 0) {
        // The receiver's bandwidth estimate, shared among the video streams it receives: pick
        // the simulcast layer each can afford (switches wait for a keyframe).
        int videos = 0;
        for (const auto& slot : *table)
            videos += slot->kind == MediaKind::Video && slot->sending ? 1 : 0;
        uint32_t share = estimate / static_cast<uint32_t>(videos > 0 ? videos : 1);
        int layer = share < 250'000 ? 0 : share < 700'000 ? 1 : 2;
        for (const auto& slot : *table) {
            if (slot->kind == MediaKind::Video && slot->autoLayer.load(std::memory_order_relaxed))
                slot->substreamTarget.store(layer, std::memory_order_relaxed);
        }
        // no return: Chromium sends its REMB and a PLI in one compound packet, and a decoder
        // that lost a frame (packets lost in a network outage) waits for that keyframe
    }
    if (!janus::rtcpHasPli(packet->buffer, packet->length) && !janus::rtcpHasFir(packet->buffer, packet->length))
        return;
    if (packet->mindex < 0 || static_cast<size_t>(packet->mindex) >= table->size())
        return;
    const auto& slot = (*table)[packet->mindex];
    if (auto publisher = slot->publisher.load().lock())
        publisher->requestKeyframe(slot->feedMindex);
}

}  // namespace sylk::videoroom
