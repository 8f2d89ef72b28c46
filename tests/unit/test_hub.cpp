#include <algorithm>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "sylkcore/hub/events.hpp"
#include "sylkcore/hub/hub.hpp"
#include "sylkcore/hub/services.hpp"
#include "sylkcore/request_error.hpp"
// cmocka defines fail(): include it after the C++ library headers
#include "cmocka_cpp.hpp"

using namespace sylk;
using namespace sylk::hub;

struct Recorder : RoomListener {
    std::mutex mutex;
    std::vector<RoomEvent> events;
    void onRoomEvent(const RoomEvent& event) override {
        std::lock_guard lock(mutex);
        events.push_back(event);
    }
};

static void join_post_leave_reach_listeners_in_order(void**) {
    Hub hub;
    auto room = hub.open("room@example.com");
    auto recorder = std::make_shared<Recorder>();
    Subscription subscription = room->subscribe(recorder);
    room->join(Member{"sip/1", "Alice", "janus.plugin.sylk.sip"});
    room->post("chat", "janus.plugin.sylk.sip", "sip/1", Json::object().set("text", "hi"));
    room->join(Member{"sip/1", "Alice B", "janus.plugin.sylk.sip"});
    assert_true(room->leave("sip/1"));
    assert_false(room->leave("sip/1"));
    assert_int_equal(recorder->events.size(), 4);
    assert_string_equal(recorder->events[0].kind.c_str(), "joined");
    assert_string_equal(recorder->events[1].kind.c_str(), "chat");
    assert_string_equal(json_string_value(recorder->events[1].data.member("text")), "hi");
    assert_string_equal(recorder->events[2].kind.c_str(), "updated");
    assert_string_equal(recorder->events[3].kind.c_str(), "left");
    for (size_t i = 0; i < 4; ++i)
        assert_int_equal(recorder->events[i].sequence, i + 1);
}

// A page joining while a phone talks reads it from the roster (no event will come until the
// phone stops); stopping, or leaving, clears it.
static void roster_says_who_is_talking(void**) {
    Hub hub;
    auto room = hub.open("talk");
    room->join(Member{"mixer/1", "Phone", "janus.plugin.sylk.audiomixer"});
    room->join(Member{"room/2", "Ann", "janus.plugin.sylk.videoroom"});
    room->post("janus.plugin.sylk.audiomixer", "mixer/1", talking(true));
    room->post("janus.plugin.sylk.audiomixer", "mixer/9", talking(true));  // not a member: not kept
    Json roster = room->membersJsonExcept("janus.plugin.sylk.videoroom");
    assert_int_equal(json_array_size(roster.get()), 1);
    assert_true(json_is_true(json_object_get(json_array_get(roster.get(), 0), "talking")));
    room->post("janus.plugin.sylk.audiomixer", "mixer/1", talking(false));
    roster = room->membersJsonExcept("janus.plugin.sylk.videoroom");
    assert_null(json_object_get(json_array_get(roster.get(), 0), "talking"));
    room->post("janus.plugin.sylk.audiomixer", "mixer/1", talking(true));
    assert_true(room->leave("mixer/1"));
    room->join(Member{"mixer/1", "Phone", "janus.plugin.sylk.audiomixer"});  // back: silent until it talks
    roster = room->membersJsonExcept("janus.plugin.sylk.videoroom");
    assert_null(json_object_get(json_array_get(roster.get(), 0), "talking"));
}

static void subscription_ends_delivery(void**) {
    Hub hub;
    auto room = hub.open("r");
    auto recorder = std::make_shared<Recorder>();
    {
        Subscription subscription = room->subscribe(recorder);
        room->post("chat", "p", "m", Json::object());
    }
    room->post("chat", "p", "m", Json::object());
    assert_int_equal(recorder->events.size(), 1);
    // A listener that is gone is skipped (and dropped) even while its subscription lives; the
    // live listeners around it still get every event.
    auto before = std::make_shared<Recorder>();
    Subscription beforeSubscription = room->subscribe(before);
    auto shortLived = std::make_shared<Recorder>();
    std::weak_ptr<Recorder> shortLivedWatch = shortLived;
    Subscription dangling = room->subscribe(shortLived);
    auto after = std::make_shared<Recorder>();
    Subscription afterSubscription = room->subscribe(after);
    room->post("chat", "p", "m", Json::object().set("text", "while alive"));
    assert_int_equal(shortLived->events.size(), 1);
    shortLived.reset();
    assert_true(shortLivedWatch.expired());  // the room held it weakly: nothing kept it alive
    room->post("chat", "p", "m", Json::object().set("text", "after it went"));
    assert_int_equal(before->events.size(), 2);
    assert_int_equal(after->events.size(), 2);
    assert_string_equal(json_string_value(after->events[1].data.member("text")), "after it went");
    // Dropped from the room: once the live ones unsubscribe, nothing is left listening.
    beforeSubscription.reset();
    afterSubscription.reset();
    assert_true(room->idle());
    dangling.reset();  // unsubscribing what the room already dropped is harmless
    assert_true(room->idle());
}

static void rooms_are_shared_and_closed_when_idle(void**) {
    Hub hub;
    auto first = hub.open("same");
    auto second = hub.open("same");
    assert_ptr_equal(first.get(), second.get());
    assert_null(hub.find("other").get());
    first->join(Member{"a", "A", "p"});
    assert_false(hub.closeIfIdle("same"));
    first->leave("a");
    assert_false(hub.closeIfIdle("same"));  // idle, but still held: forgetting it would split it
    assert_int_equal(hub.roomCount(), 1);
    second.reset();
    first.reset();
    assert_true(hub.closeIfIdle("same"));
    assert_null(hub.find("same").get());
    assert_true(hub.roomIds().empty());
    assert_int_equal(hub.roomCount(), 0);
}

static void instance_is_one_per_process(void**) {
    assert_ptr_equal(&Hub::instance(), &Hub::instance());
    assert_false(Hub::instance().instanceId().empty());
    Hub other;
    assert_string_not_equal(other.instanceId().c_str(), Hub::instance().instanceId().c_str());
}

static void concurrent_posters_get_unique_sequences(void**) {
    Hub hub;
    auto room = hub.open("busy");
    auto recorder = std::make_shared<Recorder>();
    Subscription subscription = room->subscribe(recorder);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 250; ++i)
                room->post("chat", "p", "m", Json::object());
        });
    for (auto& thread : threads)
        thread.join();
    assert_int_equal(recorder->events.size(), 1000);
    std::vector<bool> seen(1001, false);
    for (const auto& event : recorder->events) {
        assert_true(event.sequence >= 1 && event.sequence <= 1000);
        assert_false(seen[event.sequence]);
        seen[event.sequence] = true;
    }
}

// A members snapshot agrees with the numbering: the joins and leaves numbered up to its
// `through`, replayed in order, give exactly its members (the cluster's roster answers rely on
// it). Joins and leaves race on four threads while snapshots are taken.
static void members_snapshot_agrees_with_event_numbers(void**) {
    Hub hub;
    auto room = hub.open("churn");
    auto recorder = std::make_shared<Recorder>();
    Subscription subscription = room->subscribe(recorder);
    std::vector<Room::MembersSnapshot> snapshots;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&room, t] {
            for (int i = 0; i < 200; ++i) {
                std::string id = "p/" + std::to_string(t * 1000 + i % 5);
                room->join(Member{id, "x", "p"});
                room->leave(id);
            }
        });
    for (int i = 0; i < 200; ++i)
        snapshots.push_back(room->membersSnapshot());
    for (auto& thread : threads)
        thread.join();
    std::vector<RoomEvent> events = recorder->events;
    std::sort(events.begin(), events.end(), [](const RoomEvent& a, const RoomEvent& b) { return a.sequence < b.sequence; });
    for (const auto& snapshot : snapshots) {
        std::set<std::string> replayed;
        for (const auto& event : events) {
            if (event.sequence > snapshot.through)
                break;
            if (event.kind == "left")
                replayed.erase(event.member);
            else
                replayed.insert(event.member);
        }
        std::set<std::string> listed;
        for (const auto& member : snapshot.members)
            listed.insert(member.id);
        assert_true(replayed == listed);
    }
}

static void services_are_offered_called_and_withdrawn(void**) {
    auto& services = Services::instance();
    services.offer("test.double", [](const Json& request) {
        return Json::object().set("value", static_cast<json_int_t>(2 * json_integer_value(request.member("value"))));
    });
    assert_true(services.offered("test.double"));
    Json answer = services.call("test.double", Json::object().set("value", 21));
    assert_int_equal(json_integer_value(answer.member("value")), 42);
    services.withdraw("test.double");
    int code = 0;
    try {
        services.call("test.double", Json::object());
    } catch (const sylk::RequestError& e) {
        code = static_cast<int>(e.code());
    }
    assert_int_equal(code, 1008);
}

static void post_chat(Room& room, const std::string& text, const std::string& to = "") {
    ChatMessage message;
    message.id = newMessageId();
    message.text = text;
    message.timestamp = nowMs();
    message.to = to;
    room.post("janus.plugin.sylk.msrp", "janus.plugin.sylk.msrp/1", chat(message));
}

// The room keeps its last public messages for every plugin's late joiners; private messages and
// payloads that break the schema are never kept.
static void history_keeps_the_last_public_messages(void**) {
    Hub hub;
    auto room = hub.open("r");
    assert_int_equal(room->historyLength(), Room::kDefaultHistory);
    for (int i = 0; i < 60; ++i)
        post_chat(*room, "m" + std::to_string(i));
    auto kept = room->history();
    assert_int_equal(kept.size(), Room::kDefaultHistory);
    assert_string_equal(readChat(kept.front()).text.c_str(), "m10");
    assert_string_equal(readChat(kept.back()).text.c_str(), "m59");
    assert_true(kept.front().sequence < kept.back().sequence);
    auto lastThree = room->history(3);
    assert_int_equal(lastThree.size(), 3);
    assert_string_equal(readChat(lastThree.front()).text.c_str(), "m57");

    post_chat(*room, "secret", "janus.plugin.sylk.videoroom/2");
    room->post("chat", "p", "m", Json::object().set("text", 7));  // breaks the schema
    room->post("p", "m", composing(ComposingState{}));
    assert_string_equal(readChat(room->history(1).front()).text.c_str(), "m59");

    // A snapshot says through which event it goes, private and other events included: the
    // next public message is numbered above it.
    auto snapshot = room->historySnapshot(2);
    assert_int_equal(snapshot.events.size(), 2);
    assert_true(snapshot.through > snapshot.events.back().sequence);
    post_chat(*room, "m60");
    assert_true(room->history(1).front().sequence == snapshot.through + 1);
}

static void history_length_is_the_largest_asked(void**) {
    Hub hub;
    auto room = hub.open("r");
    room->keepHistory(5);  // asking for less never shortens what another plugin asked for
    assert_int_equal(room->historyLength(), Room::kDefaultHistory);
    room->keepHistory(120);
    assert_int_equal(room->historyLength(), 120);
    room->keepHistory(1'000'000);
    assert_int_equal(room->historyLength(), Room::kMaxHistory);
    for (int i = 0; i < 200; ++i)
        post_chat(*room, "m" + std::to_string(i));
    assert_int_equal(room->history().size(), 200);
    // Forgotten with the room: a new room of the same name starts empty.
    room.reset();
    assert_true(hub.closeIfIdle("r"));
    assert_int_equal(hub.open("r")->history().size(), 0);
}

// A cluster node puts a room's stored chat after what the room holds (restoreHistory): numbered
// in order, told to no listener, given to no recorder, and not cut to the history length until
// the next post (a plugin raises the length after the room opened).
static void restored_history_is_numbered_and_told_to_nobody(void**) {
    Hub hub;
    std::vector<std::string> recorded;
    auto room = hub.open("r");
    assert_true(room->attachHistory({}, [&](const RoomEvent& event, size_t) { recorded.push_back(readChat(event).text); }));
    auto listener = std::make_shared<Recorder>();
    auto subscription = room->subscribe(listener);
    post_chat(*room, "before");
    std::vector<RoomEvent> stored;
    for (int i = 0; i < 60; ++i) {
        std::string text = "stored" + std::to_string(i);
        stored.push_back(RoomEvent{"elsewhere", kind::Chat, "janus.plugin.sylk.cluster", "janus.plugin.sylk.cluster/a/x",
                                   chat(ChatMessage{"id" + std::to_string(i), "Ann", "", "text/plain", text, 1, "", ""}).data, 0});
    }
    room->restoreHistory(stored);
    auto history = room->historySnapshot();
    assert_int_equal(history.events.size(), 61);  // over kDefaultHistory (50): not cut yet
    assert_string_equal(readChat(history.events[0]).text.c_str(), "before");
    assert_string_equal(readChat(history.events[60]).text.c_str(), "stored59");
    assert_string_equal(history.events[60].room.c_str(), "r");
    for (size_t i = 1; i < history.events.size(); ++i)
        assert_true(history.events[i].sequence == history.events[i - 1].sequence + 1);
    assert_int_equal(history.through, history.events.back().sequence);
    assert_int_equal(listener->events.size(), 1);  // "before" only
    assert_int_equal(recorded.size(), 1);
    room->keepHistory(100);
    post_chat(*room, "after");
    assert_int_equal(room->history().size(), 62);
    assert_true(room->history().back().sequence == history.through + 1);
}

// Whoever keeps rooms beyond memory hears of each room once when the hub makes it and once when
// it forgets it, whichever holder let go last; a restored history comes before what is posted
// next, and the recorder gets each public message in order, private ones never.
static void lifecycle_and_history_recorder(void**) {
    Hub hub;
    std::vector<std::string> opened, forgotten, recorded;
    hub.setLifecycle(Hub::Lifecycle{
        [&](Room& room) {
            opened.push_back(room.id());
            RoomEvent saved{"", kind::Chat, "p", "p/1", chat(ChatMessage{"id0", "Ann", "", "text/plain", "saved", 1, "", ""}).data, 0};
            bool attached = room.attachHistory({saved}, [&](const RoomEvent& event, size_t length) {
                assert_int_equal(length, Room::kDefaultHistory);
                recorded.push_back(readChat(event).text);
            });
            assert_true(attached);
            assert_false(room.attachHistory({}, [](const RoomEvent&, size_t) {}));  // one recorder
        },
        [&](const std::string& id) { forgotten.push_back(id); },
    });
    auto room = hub.open("r");
    auto again = hub.open("r");
    assert_int_equal(opened.size(), 1);
    assert_string_equal(readChat(room->history().front()).text.c_str(), "saved");
    assert_string_equal(room->history().front().room.c_str(), "r");
    post_chat(*room, "live");
    post_chat(*room, "private", "janus.plugin.sylk.videoroom/2");
    auto texts = room->history();
    assert_int_equal(texts.size(), 2);
    assert_string_equal(readChat(texts.back()).text.c_str(), "live");
    assert_int_equal(recorded.size(), 1);
    assert_string_equal(recorded[0].c_str(), "live");
    room.reset();
    assert_false(hub.closeIfIdle("r"));  // still held
    assert_true(forgotten.empty());
    again.reset();
    assert_true(hub.closeIfIdle("r"));
    assert_false(hub.closeIfIdle("r"));
    assert_int_equal(forgotten.size(), 1);
    assert_string_equal(forgotten[0].c_str(), "r");
}

// More lifecycle watchers next to the setLifecycle one, each told once; a removed one is not
// called again. A listener that only watches (the cluster bridge) keeps no room open.
static void added_watchers_and_watching_listeners(void**) {
    Hub hub;
    std::vector<std::string> first, second, filesOpened;
    hub.setLifecycle(Hub::Lifecycle{[&](Room& room) { filesOpened.push_back(room.id()); }, nullptr});
    auto one = hub.addLifecycle(Hub::Lifecycle{[&](Room& room) { first.push_back("+" + room.id()); },
                                               [&](const std::string& id) { first.push_back("-" + id); }});
    hub.addLifecycle(Hub::Lifecycle{[&](Room& room) { second.push_back("+" + room.id()); },
                                    [&](const std::string& id) { second.push_back("-" + id); }});
    auto room = hub.open("r");
    auto listener = std::make_shared<Recorder>();
    auto watching = room->watch(listener);
    assert_true(room->idle());
    post_chat(*room, "seen");
    assert_int_equal(listener->events.size(), 1);
    room.reset();
    assert_true(hub.closeIfIdle("r"));
    hub.removeLifecycle(one);
    hub.open("s");
    assert_int_equal(filesOpened.size(), 2);
    assert_int_equal(first.size(), 2);
    assert_string_equal(first[1].c_str(), "-r");
    assert_int_equal(second.size(), 3);
    assert_string_equal(second[2].c_str(), "+s");
}

static void a_room_admits_a_pin_every_plugin_accepts(void**) {
    auto room = std::make_shared<hub::Room>("pins");
    assert_false(room->pinProtected());
    assert_true(room->admitsPin(""));
    room->setPin("janus.plugin.sylk.videoroom", "2468");
    assert_true(room->pinProtected());
    assert_false(room->admitsPin(""));
    assert_false(room->admitsPin("1357"));
    assert_true(room->admitsPin("2468"));
    room->setPin("janus.plugin.sylk.audiomixer", "1357");  // two plugins, two PINs: nobody gets in
    assert_false(room->admitsPin("2468"));
    assert_false(room->admitsPin("1357"));
    room->setPin("janus.plugin.sylk.audiomixer", "2468");
    assert_true(room->admitsPin("2468"));
    room->setPin("janus.plugin.sylk.videoroom", "");  // its room ended: its PIN goes with it
    room->setPin("janus.plugin.sylk.audiomixer", "");
    assert_false(room->pinProtected());
    assert_true(room->admitsPin(""));
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(join_post_leave_reach_listeners_in_order),
        cmocka_unit_test(lifecycle_and_history_recorder),
        cmocka_unit_test(restored_history_is_numbered_and_told_to_nobody),
        cmocka_unit_test(added_watchers_and_watching_listeners),
        cmocka_unit_test(subscription_ends_delivery),
        cmocka_unit_test(rooms_are_shared_and_closed_when_idle),
        cmocka_unit_test(instance_is_one_per_process),
        cmocka_unit_test(concurrent_posters_get_unique_sequences),
        cmocka_unit_test(members_snapshot_agrees_with_event_numbers),
        cmocka_unit_test(services_are_offered_called_and_withdrawn),
        cmocka_unit_test(history_keeps_the_last_public_messages),
        cmocka_unit_test(history_length_is_the_largest_asked),
        cmocka_unit_test(roster_says_who_is_talking),
        cmocka_unit_test(a_room_admits_a_pin_every_plugin_accepts),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
