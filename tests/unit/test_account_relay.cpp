// AccountRelay and AccountEventCodec (sylkcore/cluster): a SIP gateway account's events between
// the nodes of a cluster. The codec's refusals, each with its reason; two relays ("a" and "b"),
// each with its own libnats connection and NatsBus, over a real nats-server the group setup
// starts on a free loopback port (stopped by its pid).
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nats/nats.h>

#include "sylkcore/cluster/account_event_codec.hpp"
#include "sylkcore/cluster/account_relay.hpp"
#include "sylkcore/cluster/nats_bus.hpp"

#include "nats_test_group.hpp"
// Last: cmocka defines fail(), which the standard headers may declare.
#include "cmocka_cpp.hpp"

using namespace sylk;
using namespace sylk::cluster;
using nats_test::connect;
using nats_test::waitUntil;

namespace {

const std::string kAlice = "sip:alice@example.com";
Json callEvent(const std::string& callId) {
    Json event = Json::object();
    event.set("event", "call").set("message_id", "call:incoming:" + callId).set("state", "answered");
    return event;
}

// One node: its connection, bus and relay, and what the relay delivered.
struct Node {
    explicit Node(const std::string& id)
        : connection(connect()), bus(connection), relay(bus, id, [this](const std::string& account, const Json& event) {
              std::lock_guard lock(mutex);
              delivered.emplace_back(account, event.dump());
          }) {
        assert_non_null(connection);
        assert_true(relay.start());
        assert_int_equal(natsConnection_Flush(connection), NATS_OK);  // the server has the subscription
    }
    ~Node() {
        relay.stop();
        natsConnection_Destroy(connection);
    }
    size_t count() {
        std::lock_guard lock(mutex);
        return delivered.size();
    }
    std::pair<std::string, std::string> at(size_t i) {
        std::lock_guard lock(mutex);
        return delivered.at(i);
    }

    natsConnection* connection;
    NatsBus bus;
    std::mutex mutex;
    std::vector<std::pair<std::string, std::string>> delivered;
    AccountRelay relay;
};

std::string refusal(const std::string& payload) {
    std::string error;
    auto decoded = AccountEventCodec::decode(payload, &error);
    assert_false(decoded.has_value());
    assert_false(error.empty());
    return error;
}

}  // namespace

// What encode makes decodes to the same; the subject takes any account as one token.
static void codec_round_trip_and_subject(void**) {
    AccountEvent event{"node-1", "sip:team.blue@example.com", callEvent("x")};
    std::string error;
    auto decoded = AccountEventCodec::decode(AccountEventCodec::encode(event), &error);
    assert_true(decoded.has_value());
    assert_string_equal(decoded->node.c_str(), "node-1");
    assert_string_equal(decoded->account.c_str(), "sip:team.blue@example.com");
    assert_string_equal(decoded->event.dump().c_str(), event.event.dump().c_str());
    assert_string_equal(AccountEventCodec::subject("sip:team.blue@example.com").c_str(),
                        "sylk.account.sip=3Ateam=2Eblue=40example=2Ecom.events");
}

// Each malformed payload is refused with what is wrong.
static void codec_refusals_say_why(void**) {
    const std::string good = R"("node":"a","account":"sip:alice@example.com","event":{"event":"call"})";
    assert_string_equal(refusal("nope").substr(0, 9).c_str(), "not JSON:");
    assert_string_equal(refusal("[1]").c_str(), "not a JSON object");
    assert_string_equal(refusal(R"({"v":2,"type":"account-event",)" + good + "}").c_str(), "'v' must be 1");
    assert_string_equal(refusal(R"({"v":1,"type":"event",)" + good + "}").c_str(), "'type' must be 'account-event'");
    assert_string_equal(
        refusal(R"({"v":1,"type":"account-event","node":"a/b","account":"sip:a@b","event":{"event":"call"}})").c_str(),
        "'node' must be 1-128 characters of [A-Za-z0-9._-]");
    assert_string_equal(
        refusal(R"({"v":1,"type":"account-event","node":"a","account":"alice","event":{"event":"call"}})").c_str(),
        "'account' must be a sip: or sips: URI");
    assert_string_equal(refusal(R"({"v":1,"type":"account-event","node":"a","account":"sip:a@b","event":[]})").c_str(),
                        "'event' must be an object");
    assert_string_equal(
        refusal(R"({"v":1,"type":"account-event","node":"a","account":"sip:a@b","event":{"event":"incomingcall"}})").c_str(),
        "event 'incomingcall' does not travel between nodes");
    assert_string_equal(refusal(std::string(AccountEventCodec::kMaxAccount * 2000, ' ')).substr(0, 11).c_str(),
                        "payload of ");
}

// An event a publishes reaches b's Deliver once, and not a's own; what does not travel is not sent.
static void events_cross_to_the_other_node_once(void**) {
    Node a("a"), b("b");
    assert_true(a.relay.publish(kAlice, callEvent("1")));
    assert_true(waitUntil([&] { return b.count() == 1; }));
    assert_string_equal(b.at(0).first.c_str(), kAlice.c_str());
    assert_string_equal(b.at(0).second.c_str(), callEvent("1").dump().c_str());
    Json notCarried = Json::object();
    notCarried.set("event", "incomingcall");
    assert_false(a.relay.publish(kAlice, notCarried));
    assert_false(a.relay.publish("alice", callEvent("2")));  // no SIP URI
    assert_true(b.relay.publish(kAlice, callEvent("3")));     // and back: b's reaches a
    assert_true(waitUntil([&] { return a.count() == 1; }));
    assert_int_equal(natsConnection_Flush(a.connection), NATS_OK);
    assert_int_equal(natsConnection_Flush(b.connection), NATS_OK);
    assert_int_equal(b.count(), 1);  // its own did not come back to b
    assert_int_equal(a.relay.stats().published, 1);
    assert_int_equal(b.relay.stats().delivered, 1);
}

// A malformed message, or one on another account's subject, is dropped (counted) and the next
// good one still arrives.
static void malformed_and_misaddressed_messages_are_dropped(void**) {
    Node b("b");
    natsConnection* raw = connect();
    std::string subject = AccountEventCodec::subject(kAlice);
    natsConnection_PublishString(raw, subject.c_str(), "{\"v\":1}");
    AccountEvent bob{"a", "sip:bob@example.com", callEvent("4")};
    natsConnection_PublishString(raw, subject.c_str(), AccountEventCodec::encode(bob).c_str());
    AccountEvent alice{"a", kAlice, callEvent("5")};
    natsConnection_PublishString(raw, subject.c_str(), AccountEventCodec::encode(alice).c_str());
    assert_true(waitUntil([&] { return b.count() == 1; }));
    assert_string_equal(b.at(0).second.c_str(), callEvent("5").dump().c_str());
    assert_int_equal(b.relay.stats().refused, 2);
    natsConnection_Destroy(raw);
}

int main(int argc, char** argv) {
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(codec_round_trip_and_subject),
        cmocka_unit_test(codec_refusals_say_why),
        cmocka_unit_test(events_cross_to_the_other_node_once),
        cmocka_unit_test(malformed_and_misaddressed_messages_are_dropped),
    };
    return cmocka_run_group_tests(tests, nats_test::startServer, nats_test::stopServer);
}
