#include "event_notifier.hpp"

namespace sylk::janus {

bool EventNotifier::enabled() const {
    return allowed_ && gateway_ && plugin_ && gateway_->events_is_enabled();
}

void EventNotifier::notify(janus_plugin_session* handle, Json event) const {
    // janus_plugin_notify_event (janus.c, 1.1.2) steals the reference of an object it accepts,
    // also when it drops it (dead handle, events off), but returns without touching anything
    // that is not an object: that one stays ours, and Json frees it.
    if (!enabled() || !json_is_object(event.get()))
        return;
    // A detached handle is already out of Janus's table of live sessions, and Janus drops events
    // about it; what happened there (a participant leaving by closing the page) is still news,
    // so it goes out without the handle's ids (the event names the room and participant).
    if (handle && g_atomic_int_get(&handle->stopped))
        handle = nullptr;
    // Janus serializes the event later on its events thread: it must not share the object with
    // anyone who could still change it (a caller passing `Json::object().set(...)` shares it
    // with a temporary; one passing a member Json with that member).
    json_t* owned = event.get()->refcount == 1 ? event.release() : json_deep_copy(event.get());
    if (owned)
        gateway_->notify_event(plugin_, handle, owned);
}

}  // namespace sylk::janus
