// The cluster's room chat store against a real nats-server -js (started by the group setup on a
// free loopback port, stopped by its pid): JetStreamChatStore on its own (order, the per-room
// bound, duplicates, rooms named with dots, purges), then with HubBridge: a room whose only
// node goes away without a word (as kill -9) has its chat, in order and once, on the node that
// opens it next; a room that ends is purged from the store unless it is kept, and a purge
// never takes a chat said after the last one the ending node saw.
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nats/nats.h>

#include "sylkcore/cluster/bus_codec.hpp"
#include "sylkcore/cluster/hub_bridge.hpp"
#include "sylkcore/cluster/jetstream_chat_store.hpp"
#include "sylkcore/cluster/nats_bus.hpp"
#include "sylkcore/cluster/room_subject.hpp"
#include "sylkcore/hub/events.hpp"
#include "sylkcore/hub/hub.hpp"

#include "nats_test_group.hpp"
// Last: cmocka defines fail(), which <fstream> declares.
#include "cmocka_cpp.hpp"

using namespace sylk;
using namespace sylk::hub;
using sylk::cluster::ChatStore;
using sylk::cluster::HubBridge;
using sylk::cluster::JetStreamChatStore;
using sylk::cluster::NatsBus;
using sylk::cluster::RoomSubject;
using nats_test::server;
using nats_test::waitUntil;

namespace {

const char kAnn[] = "janus.plugin.sylk.videoroom/1";
const std::string kCluster = "janus.plugin.sylk.cluster/";
constexpr std::chrono::milliseconds kWait{2000};

// A connection with its JetStream context, closed when it goes.
struct Connection {
    Connection() {
        waitUntil([&] { return natsConnection_ConnectTo(&raw, server()->url().c_str()) == NATS_OK; });
        assert_non_null(raw);
        assert_int_equal(natsConnection_JetStream(&jetStream, raw, nullptr), NATS_OK);
    }
    ~Connection() {
        jsCtx_Destroy(jetStream);
        natsConnection_Destroy(raw);
    }
    natsConnection* raw = nullptr;
    jsCtx* jetStream = nullptr;
};

std::string chatSubject(const std::string& room) { return RoomSubject::prefix(room) + ".chat"; }

std::vector<std::string> payloads(const ChatStore::Loaded& loaded) {
    std::vector<std::string> texts;
    for (const auto& message : loaded.messages)
        texts.push_back(message.payload);
    return texts;
}

// One node: a hub, its connection, bus, chat store and bridge.
struct Node {
    Node(const std::string& id, std::function<bool(const std::string&)> kept = nullptr)
        : store(connection.raw, connection.jetStream, 5, kWait), bus(connection.raw), bridge(hub, bus, id) {
        bridge.useChatStore(&store, std::move(kept));
        assert_true(bridge.start());
    }
    ~Node() { bridge.stop(); }
    std::vector<std::string> historyTexts(const std::string& room) {
        std::vector<std::string> texts;
        for (const auto& event : hub.find(room)->history())
            texts.push_back(readChat(event).text);
        return texts;
    }

    Connection connection;
    Hub hub;
    JetStreamChatStore store;
    NatsBus bus;
    HubBridge bridge;
};

void say(Room& room, const std::string& member, const std::string& text, const std::string& to = "") {
    room.post("janus.plugin.sylk.videoroom", member,
              chat(ChatMessage{newMessageId(), "Ann", "", "text/plain", text, nowMs(), to, ""}));
}

Member ann() {
    Member m;
    m.id = kAnn;
    m.display = "Ann";
    m.plugin = "janus.plugin.sylk.videoroom";
    return m;
}

}  // namespace

// Appends come back in order; the stream keeps the newest 5 per room (the store's bound); a
// second append with one message id is one message; rooms (with dots) do not mix; a purge up to
// a sequence leaves what came after it.
static void store_keeps_order_bound_and_rooms_apart(void**) {
    Connection connection;
    JetStreamChatStore store(connection.raw, connection.jetStream, 5, kWait);
    assert_true(store.ready());
    const std::string blue = chatSubject("store.blue"), green = chatSubject("store.green");
    ChatStore::Loaded empty = store.load(blue);
    assert_true(empty.reachable);
    assert_int_equal(empty.messages.size(), 0);
    for (int i = 0; i < 7; ++i)
        assert_true(store.append(blue, "blue-" + std::to_string(i), "id-blue-" + std::to_string(i)));
    assert_true(store.append(blue, "blue-6 again", "id-blue-6"));  // a retry: dropped by the stream
    assert_true(store.append(green, "green-0", "id-green-0"));
    ChatStore::Loaded loaded = store.load(blue);
    assert_true(loaded.reachable);
    std::vector<std::string> expected{"blue-2", "blue-3", "blue-4", "blue-5", "blue-6"};
    assert_true(payloads(loaded) == expected);
    ChatStore::Last last = store.last(blue);
    assert_true(last.reachable && last.message);
    assert_string_equal(last.message->payload.c_str(), "blue-6");
    // Purge through blue-4: blue-5 and blue-6 stay, green is untouched.
    assert_true(store.purgeThrough(blue, loaded.messages[2].sequence));
    expected = {"blue-5", "blue-6"};
    assert_true(payloads(store.load(blue)) == expected);
    expected = {"green-0"};
    assert_true(payloads(store.load(green)) == expected);
}

// Without NATS the store says so at once instead of pretending: nothing stored, nothing read.
static void store_without_nats_is_unreachable(void**) {
    Connection connection;
    JetStreamChatStore store(connection.raw, connection.jetStream, 5, kWait);
    assert_true(store.ready());
    natsConnection_Close(connection.raw);
    assert_false(store.append(chatSubject("store.closed"), "x", "id-x"));
    assert_false(store.load(chatSubject("store.closed")).reachable);
    assert_false(store.last(chatSubject("store.closed")).reachable);
}

// Node a holds the room alone; its chats are stored before post() returns. a vanishes without
// a word (its hub and bridge gone, nothing purged: kill -9). Node c opens the room later and has
// every chat in its history, in order, once, from a's member as c names it; a joiner's snapshot
// holds them. Private chat is never stored.
static void a_room_of_a_vanished_node_keeps_its_chat(void**) {
    const std::string room = "crew.kill@example.com";
    {
        Node a("a");
        auto onA = a.hub.open(room);
        onA->join(ann());
        for (int i = 0; i < 4; ++i)
            say(*onA, kAnn, "said-" + std::to_string(i));
        say(*onA, kAnn, "private", "janus.plugin.sylk.videoroom/9");
        assert_int_equal(a.bridge.stats().stored, 4);  // acknowledged by the stream already
        // a goes without leaving or ending the room anywhere (no purge, no node-gone matters).
    }
    Node c("c");
    auto onC = c.hub.open(room);
    std::vector<std::string> expected{"said-0", "said-1", "said-2", "said-3"};
    assert_true(c.historyTexts(room) == expected);
    assert_int_equal(c.bridge.stats().restored, 4);
    auto snapshot = onC->historySnapshot(50);
    assert_int_equal(snapshot.events.size(), 4);
    assert_true(snapshot.through >= 4);  // numbered: live chats after them are not replayed twice
    assert_string_equal(snapshot.events[0].member.c_str(), (kCluster + "a/" + kAnn).c_str());
    // A node that opens it as well reads the same, once, and a live chat from c arrives there.
    Node d("d");
    auto onD = d.hub.open(room);
    assert_int_equal(natsConnection_Flush(d.connection.raw), NATS_OK);
    onC->join(ann());
    say(*onC, kAnn, "live");
    assert_true(waitUntil([&] { return d.historyTexts(room).size() == 5; }));
    expected.push_back("live");
    assert_true(d.historyTexts(room) == expected);
}

// A room that ends (the hub forgets it: nobody left) is purged from the store at the next
// purgeEnded; a kept room is not; a chat said after the last one the ending node saw stays.
static void an_ended_room_is_purged_unless_kept(void**) {
    const std::string ended = "crew.ended", kept = "crew.kept", racing = "crew.racing";
    Node a("a", [kept](const std::string& room) { return room == kept; });
    for (const auto& room : {ended, kept, racing}) {
        auto hubRoom = a.hub.open(room);
        hubRoom->join(ann());
        say(*hubRoom, kAnn, room + "-1");
        hubRoom->leave(kAnn);
        hubRoom.reset();
        assert_true(a.hub.closeIfIdle(room));
    }
    // Someone elsewhere says something in `racing` after a saw its last chat there.
    Connection other;
    JetStreamChatStore elsewhere(other.raw, other.jetStream, 5, kWait);
    assert_true(elsewhere.append(chatSubject(racing), "not from a", "id-racing-elsewhere"));
    a.bridge.purgeEnded();
    assert_int_equal(a.bridge.stats().purged, 1);
    assert_int_equal(a.store.load(chatSubject(ended)).messages.size(), 0);
    assert_int_equal(a.store.load(chatSubject(kept)).messages.size(), 1);
    assert_int_equal(a.store.load(chatSubject(racing)).messages.size(), 2);
    // A new room of the ended one's name starts empty.
    auto again = a.hub.open(ended);
    assert_int_equal(again->history().size(), 0);
    // A room that ends and opens again before the purge ran: the new one does not get the old
    // chat, the purge still removes it, and what the new room says stays.
    const std::string reopened = "crew.reopened";
    auto first = a.hub.open(reopened);
    first->join(ann());
    say(*first, kAnn, "old-1");
    say(*first, kAnn, "old-2");
    first->leave(kAnn);
    first.reset();
    assert_true(a.hub.closeIfIdle(reopened));
    auto second = a.hub.open(reopened);
    assert_int_equal(second->history().size(), 0);
    second->join(ann());
    say(*second, kAnn, "new-1");
    a.bridge.purgeEnded();
    assert_int_equal(a.bridge.stats().purged, 2);
    ChatStore::Loaded left = a.store.load(chatSubject(reopened));
    assert_int_equal(left.messages.size(), 1);
    assert_non_null(strstr(left.messages[0].payload.c_str(), "new-1"));
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(store_keeps_order_bound_and_rooms_apart),
        cmocka_unit_test(store_without_nats_is_unreachable),
        cmocka_unit_test(a_room_of_a_vanished_node_keeps_its_chat),
        cmocka_unit_test(an_ended_room_is_purged_unless_kept),
    };
    return cmocka_run_group_tests(tests, nats_test::startServer, nats_test::stopServer);
}
