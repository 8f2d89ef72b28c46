// What the video room reports to Janus's event handlers (docs/events.md), in the shapes of the
// stock janus.plugin.videoroom's notify_event calls. Builders only: the plugin decides when,
// and calls them through events().notify(handle, builder) so nothing is built for nobody.
#pragma once

#include "publisher.hpp"
#include "room.hpp"
#include "subscriber.hpp"

namespace sylk::videoroom {

class VideoRoomEvents {
public:
    // {"event": "created"|"destroyed", "room"}
    static Json room(const char* event, const VideoRoom& room);
    // {"event": "joined", "room", "id", "private_id", "display"}
    static Json joined(const Publisher& publisher);
    // {"event": "configured", "room", "id", "display", "streams"}
    static Json configured(const Publisher& publisher);
    // {"event": "published"|"updated", "room", "id", "display", "streams": [{type, mindex, mid, codec, ...}]}
    static Json published(const char* event, const Publisher& publisher);
    // {"event": "unpublished"|"leaving"|"kicked", "room", "id", "display"}
    static Json participant(const char* event, const Publisher& publisher);
    // {"event": "subscribing"|"updated"|"subscribed"|"switched", "room", "private_id", "streams"}
    static Json subscriber(const char* event, const Subscriber& subscriber);
    // {"videoroom": "talking"|"stopped-talking", "room", "id", "audio-level-dBov-avg"}
    static Json talking(const Publisher& publisher, bool talking, int averageLevel);
    // {"videoroom": "moderated", "room", "id", "mid", "moderation": "muted"|"unmuted"}
    static Json moderated(const Publisher& publisher, const PublishedStream& stream, bool muted);
};

}  // namespace sylk::videoroom
