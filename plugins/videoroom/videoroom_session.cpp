#include "videoroom_session.hpp"

#include "videoroom_plugin.hpp"

namespace sylk::videoroom {

void VideoRoomSession::becomePublisher(std::shared_ptr<Publisher> publisher) {
    publisher_ = std::move(publisher);
    mediaPublisher_ = publisher_.get();
}

void VideoRoomSession::becomeSubscriber(std::shared_ptr<Subscriber> subscriber) {
    subscriber_ = std::move(subscriber);
    mediaSubscriber_ = subscriber_.get();
}

void VideoRoomSession::onSetupMedia() { plugin_.onMediaUp(shared_from_this()); }

void VideoRoomSession::onHangupMedia() { plugin_.onMediaDown(shared_from_this()); }

void VideoRoomSession::onDestroy() { plugin_.onDetached(shared_from_this()); }

void VideoRoomSession::onIncomingRtp(janus::RtpPacket* packet) {
    if (Publisher* publisher = mediaPublisher_.load(std::memory_order_acquire))
        publisher->onRtp(packet);
}

void VideoRoomSession::onIncomingRtcp(janus::RtcpPacket* packet) {
    if (Publisher* publisher = mediaPublisher_.load(std::memory_order_acquire))
        publisher->onRtcp(packet);
    else if (Subscriber* subscriber = mediaSubscriber_.load(std::memory_order_acquire))
        subscriber->onRtcp(packet);
}

Json VideoRoomSession::describe() const {
    // Runs on the control loop (Plugin::querySession), where the role objects change.
    Json json = Json::object();
    if (publisher_) {
        const Publisher& publisher = *publisher_;
        Json streams = Json::array();
        for (const auto& stream : publisher.streams()) {
            Json described = stream->describe();
            described.set("subscribers", static_cast<json_int_t>(stream->targets.load()->size()));
            if (stream->kind == MediaKind::Audio)
                described.setBool("talking", publisher.talking);
            if (stream->recording.load())
                described.setBool("recording", true);
            streams.append(std::move(described));
        }
        json.set("type", "publisher")
            .set("room", publisher.room->id.value)
            .set("id", static_cast<json_int_t>(publisher.id))
            .set("private_id", static_cast<json_int_t>(publisher.privateId))
            .set("display", publisher.display)
            .setBool("active", publisher.active)
            .setBool("moderator", publisher.moderator)
            .setBool("talking", publisher.talking)
            .set("streams", streams);
    } else if (subscriber_) {
        const Subscriber& subscriber = *subscriber_;
        int active = 0;
        for (const auto& slot : subscriber.slots())
            active += slot->active ? 1 : 0;
        json.set("type", "subscriber")
            .set("room", subscriber.room->id.value)
            .set("private_id", static_cast<json_int_t>(subscriber.privateId))
            .setBool("answered", subscriber.started)
            .setBool("paused", subscriber.paused)
            .set("last_n", subscriber.lastN)
            .set("subscriptions", active)
            .set("streams", subscriber.describeStreams());
    } else {
        json.set("type", "none");
    }
    json.setBool("left", left);
    return json;
}

}  // namespace sylk::videoroom
