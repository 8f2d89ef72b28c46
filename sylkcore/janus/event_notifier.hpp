// Reports a plugin's events to Janus's event handlers (janus.eventhandler.*), the way the stock
// plugins do with gateway->notify_event. Building an event costs allocations, so callers ask
// enabled() first, or pass a builder that only runs when someone listens:
//
//     events().notify(session.handle(), [&] { return Json::object().set("event", "joined"); });
//
// Thread-safe: enabled() reads Janus's flag; Janus queues the event to its own events thread.
#pragma once

#include <concepts>

#include "../json.hpp"
#include "janus_headers.hpp"

namespace sylk::janus {

class EventNotifier {
public:
    // The plugin's "events" option (default true) can switch its reports off, as in the
    // stock plugins; Janus's own events.broadcast and its handlers decide the rest.
    void bind(janus_callbacks* gateway, janus_plugin* plugin, bool allowed) {
        gateway_ = gateway;
        plugin_ = plugin;
        allowed_ = allowed;
    }
    // True when the plugin may report and Janus has event handlers broadcasting.
    bool enabled() const;
    // Hands event (an object) to Janus, about handle (nullptr: not tied to a handle, e.g. a
    // room destroyed by the admin API; also what a detached handle reports). Janus gets a
    // reference of its own (it takes it), never one shared with the caller.
    void notify(janus_plugin_session* handle, Json event) const;
    template <class Builder>
        requires std::invocable<Builder>
    void notify(janus_plugin_session* handle, Builder&& build) const {
        if (enabled())
            notify(handle, Json(build()));
    }

private:
    janus_callbacks* gateway_ = nullptr;
    janus_plugin* plugin_ = nullptr;
    bool allowed_ = true;
};

}  // namespace sylk::janus
