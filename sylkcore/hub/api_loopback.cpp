#include "api_loopback.hpp"

#include "../request_error.hpp"

namespace sylk::hub {

ApiLoopback& ApiLoopback::instance() {
    static ApiLoopback loopback;
    return loopback;
}

void ApiLoopback::setCarrier(Carrier carrier) {
    std::lock_guard lock(mutex_);
    carrier_ = std::move(carrier);
    haveCarrier_ = true;
}

void ApiLoopback::clearCarrier() {
    std::lock_guard lock(mutex_);
    carrier_ = Carrier{};
    haveCarrier_ = false;
}

bool ApiLoopback::available() const {
    std::lock_guard lock(mutex_);
    return haveCarrier_;
}

void ApiLoopback::deliver(uint64_t channel, const Json& message) {
    Listener listener;
    {
        std::lock_guard lock(mutex_);
        auto it = channels_.find(channel);
        if (it == channels_.end())
            return;
        listener = it->second.listener;
        ++it->second.delivering;
    }
    listener(message);  // without the lock: the listener may send on the channel
    std::lock_guard lock(mutex_);
    auto it = channels_.find(channel);
    if (it != channels_.end())
        --it->second.delivering;
    idle_.notify_all();
}

uint64_t ApiLoopback::open(Listener listener) {
    std::function<void(uint64_t)> open;
    uint64_t channel = 0;
    {
        std::lock_guard lock(mutex_);
        if (!haveCarrier_)
            throw RequestError(ErrorCode::NotFound, "the loopback transport (janus.transport.sylk.loopback) is not loaded");
        channel = nextChannel_++;
        channels_[channel] = Entry{std::move(listener), 0};
        open = carrier_.open;
    }
    open(channel);
    return channel;
}

void ApiLoopback::send(uint64_t channel, Json request) {
    std::function<void(uint64_t, Json)> send;
    {
        std::lock_guard lock(mutex_);
        if (!haveCarrier_ || channels_.count(channel) == 0)
            throw RequestError(ErrorCode::NotFound, "the Janus API channel is closed");
        send = carrier_.send;
    }
    send(channel, std::move(request));
}

void ApiLoopback::close(uint64_t channel) {
    std::function<void(uint64_t)> close;
    {
        std::unique_lock lock(mutex_);
        auto it = channels_.find(channel);
        if (it == channels_.end())
            return;
        idle_.wait(lock, [&] { return it->second.delivering == 0; });
        channels_.erase(it);
        if (haveCarrier_)
            close = carrier_.close;
    }
    if (close)
        close(channel);  // janus destroys the sessions this channel created
}

}  // namespace sylk::hub
