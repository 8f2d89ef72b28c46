// RAII reference on a Janus plugin session (a "handle"): while we hold one, Janus will not free
// the janus_plugin_session, so pushing an event after a hangup is safe.
#pragma once

#include "janus_headers.hpp"

namespace sylk::janus {

class HandleRef {
public:
    explicit HandleRef(janus_plugin_session* handle) : handle_(handle) {
        if (handle_)
            janus_refcount_increase_nodebug(&handle_->ref);
    }
    HandleRef(const HandleRef&) = delete;
    HandleRef& operator=(const HandleRef&) = delete;
    ~HandleRef() {
        if (handle_)
            janus_refcount_decrease_nodebug(&handle_->ref);
    }
    janus_plugin_session* get() const { return handle_; }
    // Janus sets stopped once the handle is going away: no more media or events then.
    bool stopped() const { return !handle_ || g_atomic_int_get(&handle_->stopped); }

private:
    janus_plugin_session* handle_;
};

}  // namespace sylk::janus
