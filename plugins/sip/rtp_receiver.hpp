// The one thread that reads the SIP side's RTP for every gateway call (epoll over their
// sockets), rather than a thread per call.
#pragma once

#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace sylk::sip {

class MediaBridge;

class RtpReceiver {
public:
    RtpReceiver();   // starts the thread; throws std::runtime_error if epoll is unavailable
    ~RtpReceiver();  // stops it
    RtpReceiver(const RtpReceiver&) = delete;
    RtpReceiver& operator=(const RtpReceiver&) = delete;

    void add(const std::shared_ptr<MediaBridge>& bridge);
    // After this returns the thread takes no new packets for the bridge; one it is handling
    // keeps the bridge alive (shared_ptr) until done.
    void remove(const MediaBridge* bridge);
    size_t size() const;

private:
    void run();

    int epoll_ = -1;
    int wakeup_ = -1;  // eventfd: stop
    mutable std::mutex mutex_;
    std::unordered_map<int, std::shared_ptr<MediaBridge>> bridges_;  // by socket fd
    std::thread thread_;
};

}  // namespace sylk::sip
