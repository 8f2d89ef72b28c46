// EventNotifier against a stand-in of Janus's callback table: what reaches notify_event, who
// owns it, and that nothing is built when Janus has no event handlers.
#include "cmocka_cpp.hpp"
#include "sylkcore/janus/event_notifier.hpp"

using sylk::Json;
using sylk::janus::EventNotifier;

namespace {

gboolean handlersListening = FALSE;
int notified = 0;
std::string lastEvent;
janus_plugin_session* lastHandle = nullptr;
janus_plugin* lastPlugin = nullptr;

gboolean eventsEnabled() { return handlersListening; }

// As janus_plugin_notify_event (janus.c 1.1.2): takes the reference of an object it is given.
void notifyEvent(janus_plugin* plugin, janus_plugin_session* handle, json_t* event) {
    ++notified;
    lastPlugin = plugin;
    lastHandle = handle;
    assert_true(json_is_object(event));
    assert_int_equal(event->refcount, 1);  // ours was handed over, not shared
    char* text = json_dumps(event, JSON_COMPACT | JSON_SORT_KEYS);
    lastEvent = text;
    free(text);
    json_decref(event);
}

// Janus's table has const members: filled once, the other entries null.
janus_callbacks callbacks = {.events_is_enabled = &eventsEnabled, .notify_event = &notifyEvent};

struct Fixture {
    janus_plugin plugin{};
    janus_plugin_session handle{};
    EventNotifier notifier;
    explicit Fixture(bool allowed = true) {
        notifier.bind(&callbacks, &plugin, allowed);
        handlersListening = TRUE;
        notified = 0;
        lastEvent.clear();
    }
};

void hands_the_event_over_with_its_handle(void**) {
    Fixture f;
    f.notifier.notify(&f.handle, [] { return Json::object().set("event", "joined").set("room", 7); });
    assert_int_equal(notified, 1);
    assert_string_equal(lastEvent.c_str(), "{\"event\":\"joined\",\"room\":7}");
    assert_ptr_equal(lastHandle, &f.handle);
    assert_ptr_equal(lastPlugin, &f.plugin);
    f.notifier.notify(nullptr, Json::object().set("event", "created"));
    assert_int_equal(notified, 2);
    assert_null(lastHandle);
}

void builds_nothing_when_nobody_listens(void**) {
    Fixture f;
    handlersListening = FALSE;
    bool built = false;
    f.notifier.notify(&f.handle, [&] { built = true; return Json::object(); });
    assert_false(built);
    assert_int_equal(notified, 0);
    assert_false(f.notifier.enabled());
}

void the_plugin_option_switches_it_off(void**) {
    Fixture f(false);
    bool built = false;
    f.notifier.notify(&f.handle, [&] { built = true; return Json::object(); });
    assert_false(built);
    assert_int_equal(notified, 0);
}

void keeps_what_janus_would_not_take(void**) {
    // Janus returns without freeing anything that is not an object: it must never get one,
    // and Json frees it (ASan in build-asan would report the leak otherwise).
    Fixture f;
    f.notifier.notify(&f.handle, [] { return Json(); });
    f.notifier.notify(&f.handle, [] { return Json::array(); });
    assert_int_equal(notified, 0);
}

void a_detached_handle_reports_without_its_ids(void**) {
    // Janus drops events about a handle no longer in its table (it is, once stopped): they go
    // out about no handle instead of being lost.
    Fixture f;
    f.handle.stopped = 1;
    f.notifier.notify(&f.handle, [] { return Json::object().set("event", "leaving"); });
    assert_int_equal(notified, 1);
    assert_null(lastHandle);
    assert_string_equal(lastEvent.c_str(), "{\"event\":\"leaving\"}");
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hands_the_event_over_with_its_handle),
        cmocka_unit_test(builds_nothing_when_nobody_listens),
        cmocka_unit_test(the_plugin_option_switches_it_off),
        cmocka_unit_test(keeps_what_janus_would_not_take),
        cmocka_unit_test(a_detached_handle_reports_without_its_ids),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
