#include "rtp_receiver.hpp"

#include <vector>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <stdexcept>

#include "media_bridge.hpp"

namespace sylk::sip {

RtpReceiver::RtpReceiver() {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    wakeup_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epoll_ < 0 || wakeup_ < 0)
        throw std::runtime_error("rtp receiver: cannot create epoll");
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = wakeup_;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, wakeup_, &event);
    thread_ = std::thread([this] { run(); });
}

RtpReceiver::~RtpReceiver() {
    uint64_t one = 1;
    if (write(wakeup_, &one, sizeof(one)) < 0) {
        // the thread also wakes up every 200 ms
    }
    if (thread_.joinable())
        thread_.join();
    close(wakeup_);
    close(epoll_);
}

void RtpReceiver::add(const std::shared_ptr<MediaBridge>& bridge) {
    std::lock_guard lock(mutex_);
    bridges_[bridge->fd()] = bridge;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = bridge->fd();
    epoll_ctl(epoll_, EPOLL_CTL_ADD, bridge->fd(), &event);
}

void RtpReceiver::remove(const MediaBridge* bridge) {
    std::lock_guard lock(mutex_);
    auto found = bridges_.find(bridge->fd());
    if (found == bridges_.end() || found->second.get() != bridge)
        return;
    epoll_ctl(epoll_, EPOLL_CTL_DEL, bridge->fd(), nullptr);
    bridges_.erase(found);
}

size_t RtpReceiver::size() const {
    std::lock_guard lock(mutex_);
    return bridges_.size();
}

void RtpReceiver::run() {
    epoll_event events[64];
    for (;;) {
        // ZRTP exchanges under way need their retransmission timers run (RFC 6189 §6: T1
        // starts at 50 ms): wake every 20 ms while any runs, else only for packets.
        std::vector<std::shared_ptr<MediaBridge>> zrtp;
        {
            std::lock_guard lock(mutex_);
            for (const auto& [fd, bridge] : bridges_) {
                if (bridge->zrtpRunning())
                    zrtp.push_back(bridge);
            }
        }
        for (const auto& bridge : zrtp)
            bridge->zrtpTick();
        int ready = epoll_wait(epoll_, events, 64, zrtp.empty() ? 200 : 20);
        for (int i = 0; i < ready; ++i) {
            if (events[i].data.fd == wakeup_)
                return;
            std::shared_ptr<MediaBridge> bridge;
            {
                std::lock_guard lock(mutex_);
                auto found = bridges_.find(events[i].data.fd);
                if (found != bridges_.end())
                    bridge = found->second;
            }
            if (bridge)
                bridge->fromSip();
        }
    }
}

}  // namespace sylk::sip
