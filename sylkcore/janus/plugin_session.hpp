// Base of a plugin's per-handle state. Janus calls the media hooks on the handle's own loop
// thread; requests reach the session on Janus's request threads (Inline routes) or on the
// plugin's control loop, so anything both sides touch must be atomic or locked.
#pragma once

#include <atomic>
#include <cstdint>

#include "../json.hpp"
#include "handle_ref.hpp"
#include "types.hpp"

namespace sylk::janus {

class PluginSession {
public:
    explicit PluginSession(Handle* handle) : handle_(handle), created_(g_get_monotonic_time()) {}
    virtual ~PluginSession() = default;
    PluginSession(const PluginSession&) = delete;
    PluginSession& operator=(const PluginSession&) = delete;

    Handle* handle() const { return handle_.get(); }
    bool stopped() const { return handle_.stopped() || destroyed_.load(std::memory_order_relaxed); }
    void markDestroyed() { destroyed_.store(true, std::memory_order_relaxed); }
    int64_t createdMonotonicUs() const { return created_; }

    virtual void onSetupMedia() {}
    virtual void onIncomingRtp(RtpPacket*) {}
    virtual void onIncomingRtcp(RtcpPacket*) {}
    virtual void onIncomingData(DataPacket*) {}
    virtual void onDataReady() {}
    virtual void onSlowLink(int /*mindex*/, bool /*video*/, bool /*uplink*/) {}
    virtual void onHangupMedia() {}
    virtual void onDestroy() {}
    // What query_session (admin handle_info) shows under "plugin_specific".
    virtual Json describe() const { return Json::object(); }

private:
    HandleRef handle_;
    int64_t created_;
    std::atomic<bool> destroyed_{false};
};

}  // namespace sylk::janus
