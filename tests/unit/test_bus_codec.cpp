// BusCodec: what a node reads from the bus round-trips when it is right, and is refused with a
// message naming the problem when it is not (too large, unknown type or kind, wrong types, a
// payload the hub's reader of its kind refuses).
#include <string>

#include "sylkcore/cluster/bus_codec.hpp"
#include "sylkcore/hub/events.hpp"

#include "cmocka_cpp.hpp"

using namespace sylk;
using namespace sylk::cluster;

namespace {

std::string refusal(const std::string& text) {
    std::string error;
    auto payload = BusCodec::decode(text, &error);
    assert_false(payload.has_value());
    return error;
}

void assert_contains(const std::string& text, const char* part) {
    if (text.find(part) == std::string::npos)
        fail_msg("'%s' does not say '%s'", text.c_str(), part);
}

}  // namespace

static void event_roster_and_history_round_trip(void**) {
    hub::RoomEvent event;
    event.kind = hub::kind::Chat;
    event.member = "janus.plugin.sylk.videoroom/1";
    event.data = hub::chat(hub::ChatMessage{"m1", "Ann", "", "text/plain", "hi", 5, "janus.plugin.sylk.cluster/b/x/2", ""}).data;
    std::string error;
    auto decoded = BusCodec::decode(BusCodec::encode(BusPayload{BusPayload::Type::Event, "node-1.example", {event}, {}}), &error);
    assert_true(decoded.has_value());
    assert_true(decoded->type == BusPayload::Type::Event);
    assert_string_equal(decoded->node.c_str(), "node-1.example");
    assert_string_equal(decoded->events[0].member.c_str(), event.member.c_str());
    assert_string_equal(hub::readChat(decoded->events[0]).to.c_str(), "janus.plugin.sylk.cluster/b/x/2");

    assert_int_equal(decoded->events[0].sequence, 0);  // not said: 0
    event.sequence = 41;
    assert_int_equal(BusCodec::decode(BusCodec::encode(BusPayload{BusPayload::Type::Event, "a", {event}, {}}), &error)
                         ->events[0].sequence, 41);

    hub::Member bob{"janus.plugin.sylk.sip/2", "Bob", "janus.plugin.sylk.sip"};
    bob.moderator = true;
    BusPayload rosterOut{BusPayload::Type::Roster, "b", {}, {bob}};
    rosterOut.through = 42;
    auto roster = BusCodec::decode(BusCodec::encode(rosterOut), &error);
    assert_true(roster.has_value());
    assert_int_equal(roster->through, 42);
    assert_int_equal(roster->members.size(), 1);
    assert_string_equal(roster->members[0].id.c_str(), bob.id.c_str());
    assert_true(roster->members[0].moderator);

    auto history = BusCodec::decode(BusCodec::encode(BusPayload{BusPayload::Type::History, "b", {event, event}, {}}), &error);
    assert_true(history.has_value());
    assert_int_equal(history->events.size(), 2);
    for (auto type : {BusPayload::Type::RosterRequest, BusPayload::Type::HistoryRequest, BusPayload::Type::NodeGone})
        assert_true(BusCodec::decode(BusCodec::encode(BusPayload{type, "b", {}, {}}), &error)->type == type);
}

static void bad_payloads_are_refused_saying_why(void**) {
    assert_contains(refusal(std::string(BusCodec::kMaxPayload + 1, ' ')), "over the bus limit");
    assert_contains(refusal("{nope"), "not JSON");
    assert_contains(refusal("[1]"), "not a JSON object");
    assert_contains(refusal(R"({"v":2,"type":"event","node":"a"})"), "'v' must be 1");
    assert_contains(refusal(R"({"v":1,"type":"gossip","node":"a"})"), "unknown type 'gossip'");
    assert_contains(refusal(R"({"v":1,"type":"node-gone","node":"a/b"})"), "'node' must be");
    assert_contains(refusal(R"({"v":1,"type":"node-gone","node":7})"), "'node' must be a string");
    assert_contains(refusal(R"({"v":1,"type":"event","node":"a"})"), "'event' must be an object");
    assert_contains(refusal(R"({"v":1,"type":"event","node":"a","event":{"kind":"direct","member":"m","data":{}}})"),
                    "kind 'direct' does not travel");
    assert_contains(refusal(R"({"v":1,"type":"event","node":"a","event":{"kind":"chat","member":"m","data":{"id":7,"text":"t","timestamp":1}}})"),
                    "'id'");
    assert_contains(refusal(R"({"v":1,"type":"event","node":"a","event":{"kind":"kick","member":"m","data":{}}})"), "target");
    assert_contains(refusal(R"({"v":1,"type":"event","node":"a","event":{"kind":"talking","member":"","data":{}}})"),
                    "'member' must not be empty");
    assert_contains(refusal(R"({"v":1,"type":"history","node":"a","events":[{"kind":"talking","member":"m","data":{}}]})"),
                    "history holds only chat");
    assert_contains(refusal(R"({"v":1,"type":"roster","node":"a","members":[{"id":"x","muted":"yes"}]})"), "muted");
    assert_contains(refusal(R"({"v":1,"type":"roster","node":"a","members":[],"through":-1})"),
                    "'through' must be a non-negative integer");
    assert_contains(refusal(R"({"v":1,"type":"event","node":"a","event":{"kind":"talking","member":"m","data":{},"seq":"3"}})"),
                    "'seq' must be a non-negative integer");
}

static void node_ids_and_carried_kinds(void**) {
    assert_true(BusCodec::validNodeId("janus-1.example.com"));
    assert_false(BusCodec::validNodeId(""));
    assert_false(BusCodec::validNodeId("a/b"));
    assert_false(BusCodec::validNodeId(std::string(BusCodec::kMaxNodeId + 1, 'a')));
    for (const char* kind : {"joined", "updated", "left", "chat", "composing", "file", "talking", "stopped-talking",
                             "nickname", "kick", "mute"})
        assert_true(BusCodec::carries(kind));
    for (const char* kind : {"direct", "direct-ack", "msrp-path", "teleport"})
        assert_false(BusCodec::carries(kind));
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(event_roster_and_history_round_trip),
        cmocka_unit_test(bad_payloads_are_refused_saying_why),
        cmocka_unit_test(node_ids_and_carried_kinds),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
