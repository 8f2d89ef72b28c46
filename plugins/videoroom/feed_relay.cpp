#include "feed_relay.hpp"

#include <glib.h>

#include "publisher.hpp"

namespace sylk::videoroom {

FeedRelay::FeedRelay(std::string toNode, const std::shared_ptr<Publisher>& publisher, std::shared_ptr<UdpSender> sender,
                     bool audioOnly)
    : node(std::move(toNode)), feed(publisher->id), startedUs(g_get_monotonic_time()), publisher_(publisher), audioOnly_(audioOnly), sender_(std::move(sender)) {}

FeedRelay::~FeedRelay() { detach(); }

void FeedRelay::attach() {
    detach();
    auto publisher = publisher_.lock();
    if (!publisher || !publisher->active)
        return;
    for (const auto& stream : publisher->streams()) {
        if (stream->kind == MediaKind::Data || (audioOnly_ && stream->kind != MediaKind::Audio))
            continue;
        auto target = std::make_shared<SubscriberStream>(nullptr, stream->mindex);
        target->kind = stream->kind;
        target->codec = stream->codec;
        // The receiver tells the streams apart by payload type: the publisher's m-line index.
        target->pt = stream->mindex;
        target->feedId = publisher->id;
        target->feedMid = stream->mid;
        target->publisher.store(publisher);
        target->feedMindex = stream->mindex;
        target->active = true;
        // The top simulcast layer, never switched by bandwidth: the receiving node's
        // subscribers all get what the best of them could.
        target->autoLayer = false;
        target->substreamTarget = 2;
        target->temporalTarget = 2;
        target->udp = sender_;
        target->udpSsrc = g_random_int();
        target->sending = true;
        stream->addTarget(target);
        targets_.push_back({stream, target});
        if (stream->kind == MediaKind::Video)
            publisher->requestKeyframe(stream->mindex, true);
    }
}

void FeedRelay::detach() {
    // A renegotiation copies a stream's targets to its successor: look in the current streams too.
    auto publisher = publisher_.lock();
    for (const auto& hooked : targets_) {
        hooked.target->sending = false;
        if (auto stream = hooked.stream.lock())
            stream->removeTarget(hooked.target.get());
        if (publisher) {
            for (const auto& stream : publisher->streams())
                stream->removeTarget(hooked.target.get());
        }
    }
    targets_.clear();
}

Json FeedRelay::feedDescription() const {
    Json streams = Json::array();
    Json description = Json::object();
    auto publisher = publisher_.lock();
    if (publisher && publisher->active) {
        for (const auto& hooked : targets_) {
            auto stream = hooked.stream.lock();
            if (!stream)
                continue;
            Json entry = Json::object();
            entry.set("mindex", stream->mindex)
                .set("mid", stream->mid)
                .set("type", kindName(stream->kind))
                .set("codec", stream->codec)
                .set("pt", stream->pt);
            if (!stream->description.empty())
                entry.set("description", stream->description);
            streams.append(entry);
        }
    }
    description.set("display", publisher ? publisher->display : std::string()).set("streams", streams);
    return description;
}

Json FeedRelay::describe() const {
    Json json = Json::object();
    json.set("feed", static_cast<json_int_t>(feed))
        .set("node", node)
        .set("host", sender_->host)
        .set("port", sender_->port)
        .set("streams", static_cast<json_int_t>(targets_.size()))
        .set("packets", static_cast<json_int_t>(sender_->packets()))
        .set("bytes", static_cast<json_int_t>(sender_->bytes()))
        .set("dropped", static_cast<json_int_t>(sender_->dropped()))
        .set("keyframe_requests", static_cast<json_int_t>(keyframeRequests.load()));
    return json;
}

}  // namespace sylk::videoroom
