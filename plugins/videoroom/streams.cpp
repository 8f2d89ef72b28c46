#include "streams.hpp"

#include "recording.hpp"

#include <algorithm>

namespace sylk::videoroom {

const char* kindName(MediaKind kind) {
    switch (kind) {
    case MediaKind::Audio: return "audio";
    case MediaKind::Video: return "video";
    case MediaKind::Data: return "data";
    }
    return "unknown";
}

SubscriberStream::SubscriberStream(janus::Handle* subscriberHandle, int index)
    : handle(subscriberHandle), mindex(index), mid(std::to_string(index)) {}

Json SubscriberStream::describe() const {
    Json json = Json::object();
    json.set("mindex", mindex).set("mid", mid).set("type", kindName(kind));
    if (active) {
        json.set("feed_id", static_cast<json_int_t>(feedId))
            .set("feed_mid", feedMid)
            .set("feed_display", feedDisplay)
            .set("codec", codec);
        if (!feedDescription.empty())
            json.set("feed_description", feedDescription);
        if (kind == MediaKind::Video) {
            json.set("substream", substreamTarget.load()).set("temporal", temporalTarget.load());
        }
    } else {
        json.setBool("active", false);
    }
    json.setBool("send", active).setBool("ready", sending.load());
    return json;
}

void PublishedStream::addTarget(const std::shared_ptr<SubscriberStream>& target) {
    auto next = std::make_shared<TargetList>(*targets.load());
    next->push_back(target);
    targets.store(std::move(next));
}

void PublishedStream::removeTarget(const SubscriberStream* target) {
    auto next = std::make_shared<TargetList>(*targets.load());
    next->erase(std::remove_if(next->begin(), next->end(), [&](const auto& t) { return t.get() == target; }),
                next->end());
    targets.store(std::move(next));
}

Json PublishedStream::describe() const {
    Json json = Json::object();
    json.set("type", kindName(kind)).set("mindex", mindex).set("mid", mid).set("codec", codec);
    if (!description.empty())
        json.set("description", description);
    if (moderated.load())
        json.setBool("moderated", true);
    if (selfMuted.load())
        json.setBool("muted", true);
    if (simulcast)
        json.setBool("simulcast", true);
    return json;
}

}  // namespace sylk::videoroom
