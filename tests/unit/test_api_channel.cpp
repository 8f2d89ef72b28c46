// hub::ApiLoopback and hub::ApiChannel without janus: a carrier standing in for the loopback
// transport answers as janus does (ack first, then the reply; events without a transaction),
// and the tests check what a client sees: replies matched to their request by transaction,
// acks skipped, events to onEvent, nothing after close, and a clear error with no transport.
#include <functional>
#include <string>
#include <vector>

#include "sylkcore/hub/api_channel.hpp"
#include "sylkcore/hub/api_loopback.hpp"
#include "sylkcore/request_error.hpp"
// cmocka defines fail(): include it after the C++ library headers
#include "cmocka_cpp.hpp"

using sylk::Json;
using sylk::hub::ApiChannel;
using sylk::hub::ApiLoopback;

namespace {

struct FakeJanus {
    std::vector<uint64_t> opened, closed;
    std::vector<Json> requests;
    std::vector<uint64_t> channels;
};

FakeJanus* fake = nullptr;
std::vector<std::function<void()>> queued;  // the owner's thread, run by hand

bool post(std::function<void()> work) {
    queued.push_back(std::move(work));
    return true;
}

void runQueued() {
    auto work = std::move(queued);
    queued.clear();
    for (auto& w : work)
        w();
}

void install() {
    ApiLoopback::instance().setCarrier({
        [](uint64_t channel) { fake->opened.push_back(channel); },
        [](uint64_t channel, Json request) {
            fake->requests.push_back(request);
            fake->channels.push_back(channel);
        },
        [](uint64_t channel) { fake->closed.push_back(channel); },
    });
}

Json message(const char* janus, const std::string& transaction) {
    Json json = Json::object();
    json.set("janus", janus);
    if (!transaction.empty())
        json.set("transaction", transaction);
    return json;
}

std::string transactionOf(const Json& request) { return json_string_value(request.member("transaction")); }

}  // namespace

static void replies_reach_their_request_and_acks_are_skipped(void**) {
    FakeJanus janus;
    fake = &janus;
    install();
    std::vector<std::string> events, replies1, replies2;
    {
        ApiChannel channel(&post, [&](const Json& m) { events.push_back(json_string_value(m.member("janus"))); });
        assert_int_equal(janus.opened.size(), 1);
        channel.request(Json::object().set("janus", "create"),
                        [&](const Json& m) { replies1.push_back(json_string_value(m.member("janus"))); });
        channel.request(Json::object().set("janus", "message"),
                        [&](const Json& m) { replies2.push_back(json_string_value(m.member("janus"))); });
        channel.request(Json::object().set("janus", "trickle"));  // acked only: no handler
        assert_int_equal(janus.requests.size(), 3);
        std::string t1 = transactionOf(janus.requests[0]), t2 = transactionOf(janus.requests[1]),
                    t3 = transactionOf(janus.requests[2]);
        assert_true(t1 != t2 && t2 != t3);
        uint64_t id = janus.channels[0];
        // janus answers out of order, acks first, and pushes an event of its own
        ApiLoopback::instance().deliver(id, message("ack", t2));
        ApiLoopback::instance().deliver(id, message("ack", t3));
        ApiLoopback::instance().deliver(id, message("event", t2));
        ApiLoopback::instance().deliver(id, message("success", t1));
        ApiLoopback::instance().deliver(id, message("webrtcup", ""));
        ApiLoopback::instance().deliver(id, message("event", t2));  // a second one: not a reply any more
        assert_int_equal(replies1.size(), 0);  // nothing before the owner's thread runs
        runQueued();
        assert_int_equal(channel.pending(), 0);
        assert_int_equal(janus.closed.size(), 0);
    }
    assert_int_equal(replies1.size(), 1);
    assert_string_equal(replies1[0].c_str(), "success");
    assert_int_equal(replies2.size(), 1);
    assert_string_equal(replies2[0].c_str(), "event");
    assert_int_equal(events.size(), 2);
    assert_string_equal(events[0].c_str(), "webrtcup");
    assert_string_equal(events[1].c_str(), "event");
    assert_int_equal(janus.closed.size(), 1);  // the destructor closed the channel
    assert_int_equal(janus.closed[0], janus.opened[0]);
    ApiLoopback::instance().clearCarrier();
}

static void nothing_arrives_after_close(void**) {
    FakeJanus janus;
    fake = &janus;
    install();
    int calls = 0;
    uint64_t id = 0;
    {
        ApiChannel channel(&post, [&](const Json&) { ++calls; });
        channel.request(Json::object().set("janus", "create"), [&](const Json&) { ++calls; });
        id = janus.channels[0];
        ApiLoopback::instance().deliver(id, message("success", transactionOf(janus.requests[0])));
    }  // closed with a delivery still queued for the owner's thread
    ApiLoopback::instance().deliver(id, message("hangup", ""));  // after close: dropped
    runQueued();
    assert_int_equal(calls, 0);
    ApiLoopback::instance().clearCarrier();
}

static void without_the_transport_a_channel_cannot_open(void**) {
    ApiLoopback::instance().clearCarrier();
    assert_false(ApiLoopback::instance().available());
    bool refused = false;
    try {
        ApiChannel channel(&post, nullptr);
    } catch (const sylk::RequestError& e) {
        refused = std::string(e.what()).find("loopback") != std::string::npos;
    }
    assert_true(refused);
    FakeJanus janus;
    fake = &janus;
    install();
    ApiChannel channel(&post, nullptr);
    ApiLoopback::instance().clearCarrier();  // the transport goes (janus stopping)
    bool sendRefused = false;
    try {
        channel.request(Json::object().set("janus", "keepalive"), [](const Json&) {});
    } catch (const sylk::RequestError&) {
        sendRefused = true;
    }
    assert_true(sendRefused);
    assert_int_equal(channel.pending(), 0);  // the refused request is not left waiting
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replies_reach_their_request_and_acks_are_skipped),
        cmocka_unit_test(nothing_arrives_after_close),
        cmocka_unit_test(without_the_transport_a_channel_cannot_open),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
