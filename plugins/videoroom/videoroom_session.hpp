// A handle attached to janus.plugin.sylk.videoroom. Its role (participant/publisher or
// subscriber) is chosen by its first join and never changes, so the media path can read the
// role object through a plain atomic pointer: the object lives as long as the session.
#pragma once

#include <atomic>
#include <memory>

#include "publisher.hpp"
#include "subscriber.hpp"
#include "sylkcore/janus/plugin_session.hpp"

namespace sylk::videoroom {

class VideoRoomPlugin;

class VideoRoomSession : public janus::PluginSession, public std::enable_shared_from_this<VideoRoomSession> {
public:
    VideoRoomSession(janus::Handle* handle, VideoRoomPlugin& plugin) : PluginSession(handle), plugin_(plugin) {}

    // Control loop.
    const std::shared_ptr<Publisher>& publisher() const { return publisher_; }
    const std::shared_ptr<Subscriber>& subscriber() const { return subscriber_; }
    bool hasRole() const { return publisher_ || subscriber_; }
    bool left = false;  // the participant left its room; the handle may still be attached
    void becomePublisher(std::shared_ptr<Publisher> publisher);
    void becomeSubscriber(std::shared_ptr<Subscriber> subscriber);

    void onSetupMedia() override;
    void onHangupMedia() override;
    void onIncomingRtp(janus::RtpPacket* packet) override;
    void onIncomingRtcp(janus::RtcpPacket* packet) override;
    void onDestroy() override;
    Json describe() const override;

private:
    VideoRoomPlugin& plugin_;
    std::shared_ptr<Publisher> publisher_;
    std::shared_ptr<Subscriber> subscriber_;
    std::atomic<Publisher*> mediaPublisher_{nullptr};
    std::atomic<Subscriber*> mediaSubscriber_{nullptr};
};

}  // namespace sylk::videoroom
