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
    Json json = Json::object();
    json.set("role", mediaPublisher_.load() ? "publisher" : mediaSubscriber_.load() ? "subscriber" : "none");
    return json;
}

}  // namespace sylk::videoroom
