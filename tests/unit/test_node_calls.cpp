// NodeCalls and NodeCallCodec (sylkcore/cluster): a plugin on one node calling a hub service of
// another node. Two nodes ("a" and "b"), each with its own libnats connection, NatsBus and
// NodeCalls, over a real nats-server the group setup starts on a free loopback port (stopped by
// its pid). b's "services" are a map the test fills, standing for hub::Services.
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include <nats/nats.h>

#include "sylkcore/cluster/nats_bus.hpp"
#include "sylkcore/cluster/node_call_codec.hpp"
#include "sylkcore/cluster/node_calls.hpp"
#include "sylkcore/request_error.hpp"

#include "nats_test_server.hpp"
// Last: cmocka defines fail(), which the standard headers may declare.
#include "cmocka_cpp.hpp"

using namespace sylk;
using namespace sylk::cluster;

namespace {

NatsServer* server = nullptr;

bool waitUntil(const std::function<bool()>& done, int ms = 5000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
}

natsConnection* connect() {
    natsConnection* connection = nullptr;
    waitUntil([&] { return natsConnection_ConnectTo(&connection, server->url().c_str()) == NATS_OK; });
    return connection;
}

// One node: its connection, bus and NodeCalls, and the services it offers.
struct Node {
    using Service = std::function<Json(const Json& request)>;

    explicit Node(const std::string& id)
        : connection(connect()), bus(connection), calls(bus, id, [this](const std::string& name, const Json& request) {
              Service service;
              {
                  std::lock_guard lock(mutex);
                  auto it = services.find(name);
                  if (it == services.end())
                      throw RequestError(ErrorCode::NotFound, "no service " + name);
                  service = it->second;
              }
              ++ran;
              return service(request);
          }) {
        assert_non_null(connection);
        assert_true(calls.start());
        assert_int_equal(natsConnection_Flush(connection), NATS_OK);  // the server has the subscriptions
    }
    ~Node() {
        calls.stop();
        natsConnection_Destroy(connection);
    }
    void offer(const std::string& name, Service service) {
        std::lock_guard lock(mutex);
        services[name] = std::move(service);
    }

    natsConnection* connection;
    NatsBus bus;
    std::mutex mutex;
    std::map<std::string, Service> services;
    std::atomic<int> ran{0};
    NodeCalls calls;
};

Json request(const char* key, const char* value) {
    Json json = Json::object();
    json.set(key, value);
    return json;
}

// The RequestError a call throws (its code), or 0 when it answered.
int refusalOf(const std::function<void()>& call, std::string* message = nullptr) {
    try {
        call();
    } catch (const RequestError& e) {
        if (message)
            *message = e.what();
        return static_cast<int>(e.code());
    }
    return 0;
}

int startServer(void**) {
    server = new NatsServer();
    return 0;
}

int stopServer(void**) {
    delete server;
    server = nullptr;
    return 0;
}

}  // namespace

// a calls b's service: b runs it with from_node set to "a", a gets b's answer.
static void a_call_gets_the_other_nodes_answer(void**) {
    Node a("a"), b("b");
    b.offer("mixer.remote.leg", [](const Json& req) {
        Json answer = Json::object();
        answer.set("room", json_string_value(req.member("room"))).set("from", json_string_value(req.member("from_node")));
        answer.set("port", 40000);
        return answer;
    });
    Json answer = a.calls.call("b", "mixer.remote.leg", request("room", "demo"));
    assert_string_equal(json_string_value(answer.member("room")), "demo");
    assert_string_equal(json_string_value(answer.member("from")), "a");
    assert_int_equal(json_integer_value(answer.member("port")), 40000);
    assert_int_equal(b.ran.load(), 1);
    assert_int_equal(a.calls.stats().called, 1);
    assert_int_equal(b.calls.stats().served, 1);
}

// The remote service's refusal comes back with its own code and message.
static void a_refusal_keeps_its_code_and_message(void**) {
    Node a("a"), b("b");
    b.offer("videoroom.remote.relay", [](const Json&) -> Json {
        throw RequestError(ErrorCode::VideoRoomNoSuchFeed, "no such feed 42");
    });
    std::string message;
    assert_int_equal(refusalOf([&] { a.calls.call("b", "videoroom.remote.relay", request("feed", "42")); }, &message),
                     static_cast<int>(ErrorCode::VideoRoomNoSuchFeed));
    assert_string_equal(message.c_str(), "no such feed 42");
    // A service nobody offers there: NotFound from the other node, not a timeout.
    assert_int_equal(refusalOf([&] { a.calls.call("b", "nobody.remote.here", request("x", "y")); }, &message),
                     static_cast<int>(ErrorCode::NotFound));
    assert_string_equal(message.c_str(), "no service nobody.remote.here");
    assert_int_equal(a.calls.stats().timedOut, 0);
}

// Services without ".remote." stay local: the caller refuses them before sending, and a node
// refuses them when another process sends one anyway.
static void local_services_are_not_callable_from_other_nodes(void**) {
    Node a("a"), b("b");
    b.offer("sip.account_event", [](const Json&) { return Json::object(); });
    assert_int_equal(refusalOf([&] { a.calls.call("b", "sip.account_event", request("x", "y")); }),
                     static_cast<int>(ErrorCode::InvalidField));
    assert_false(a.calls.send("b", "sip.account_event", request("x", "y")));
    assert_int_equal(a.calls.stats().called, 0);

    natsConnection* raw = connect();
    natsMsg* reply = nullptr;
    const char* forged = R"({"from":"a","service":"sip.account_event","request":{}})";
    assert_int_equal(natsConnection_RequestString(&reply, raw, NodeCalls::subject("b").c_str(), forged, 2000), NATS_OK);
    auto refused = NodeCallCodec::decodeAnswer(std::string(natsMsg_GetData(reply), natsMsg_GetDataLength(reply)));
    assert_true(refused.has_value());
    assert_false(static_cast<bool>(refused->answer));
    assert_int_equal(static_cast<int>(refused->error), static_cast<int>(ErrorCode::MalformedRequest));
    natsMsg_Destroy(reply);
    // Garbage gets a refusal too, and b keeps serving.
    assert_int_equal(natsConnection_RequestString(&reply, raw, NodeCalls::subject("b").c_str(), "{\"from\":", 2000), NATS_OK);
    refused = NodeCallCodec::decodeAnswer(std::string(natsMsg_GetData(reply), natsMsg_GetDataLength(reply)));
    assert_true(refused.has_value() && !refused->answer);
    natsMsg_Destroy(reply);
    assert_int_equal(b.ran.load(), 0);
    assert_int_equal(b.calls.stats().refused, 2);
    natsConnection_Destroy(raw);
}

// A node nobody runs: NotFound at once (the server says nobody listens); a node that does not
// answer in time: NotFound after the timeout.
static void calls_nobody_answers_are_refused(void**) {
    Node a("a"), b("b");
    std::string message;
    assert_int_equal(refusalOf([&] { a.calls.call("gone", "mixer.remote.leg", request("room", "demo")); }, &message),
                     static_cast<int>(ErrorCode::NotFound));
    assert_string_equal(message.c_str(), "node gone is not in the cluster now");
    std::atomic<bool> release{false};
    b.offer("mixer.remote.slow", [&](const Json&) {
        waitUntil([&] { return release.load(); });
        return Json::object();
    });
    auto started = std::chrono::steady_clock::now();
    assert_int_equal(refusalOf([&] { a.calls.call("b", "mixer.remote.slow", request("room", "demo"),
                                                  std::chrono::milliseconds(200)); }, &message),
                     static_cast<int>(ErrorCode::NotFound));
    release = true;
    auto took = std::chrono::steady_clock::now() - started;
    assert_true(took >= std::chrono::milliseconds(200));
    assert_true(took < std::chrono::seconds(3));
    assert_string_equal(message.c_str(), "node b did not answer mixer.remote.slow");
    assert_int_equal(a.calls.stats().timedOut, 1);
    // Not a node id: refused before anything is sent.
    assert_int_equal(refusalOf([&] { a.calls.call("b.c", "mixer.remote.leg", request("room", "demo")); }),
                     static_cast<int>(ErrorCode::InvalidField));
}

// send() is one way: the service runs there with from_node, nothing comes back; a refusal
// there does not reach the sender.
static void send_runs_the_service_without_an_answer(void**) {
    Node a("a"), b("b");
    std::mutex mutex;
    std::string seenFrom;
    b.offer("mixer.remote.leg_gone", [&](const Json& req) {
        std::lock_guard lock(mutex);
        seenFrom = json_string_value(req.member("from_node"));
        return Json::object();
    });
    b.offer("mixer.remote.refuses", [](const Json&) -> Json { throw RequestError(ErrorCode::NotFound, "no room"); });
    assert_true(a.calls.send("b", "mixer.remote.refuses", request("room", "demo")));
    assert_true(a.calls.send("b", "mixer.remote.leg_gone", request("room", "demo")));
    assert_true(waitUntil([&] { return b.ran.load() == 2; }));
    std::lock_guard lock(mutex);
    assert_string_equal(seenFrom.c_str(), "a");
}

// stop() wakes a caller still waiting: it does not wait out its timeout.
static void stop_wakes_a_waiting_caller(void**) {
    Node a("a"), b("b");
    std::atomic<bool> release{false};
    b.offer("mixer.remote.slow", [&](const Json&) {
        waitUntil([&] { return release.load(); });
        return Json::object();
    });
    auto started = std::chrono::steady_clock::now();
    int code = 0;
    std::thread caller([&] {
        code = refusalOf([&] { a.calls.call("b", "mixer.remote.slow", request("room", "demo"), std::chrono::seconds(8)); });
    });
    assert_true(waitUntil([&] { return b.ran.load() == 1; }));  // the call is under way
    a.calls.stop();
    caller.join();
    release = true;
    assert_int_equal(code, static_cast<int>(ErrorCode::ClusterUnreachable));
    assert_true(std::chrono::steady_clock::now() - started < std::chrono::seconds(4));
    // After stop: refused at once.
    assert_int_equal(refusalOf([&] { a.calls.call("b", "mixer.remote.leg", request("room", "demo")); }),
                     static_cast<int>(ErrorCode::ClusterUnreachable));
}

// The codec's refusals, each with a reason.
static void codec_refusals_say_why(void**) {
    std::string error;
    auto call = NodeCallCodec::decodeCall(NodeCallCodec::encodeCall("a", "x.remote.y", request("k", "v")), &error);
    assert_true(call.has_value());
    assert_string_equal(call->service.c_str(), "x.remote.y");
    for (const char* bad : {"", "[]", R"({"from":"a","service":"x.remote.y"})", R"({"from":"a.b","service":"x.remote.y","request":{}})",
                            R"({"from":"a","service":"x.local","request":{}})", R"({"from":"a","service":"x.remote.y","request":"s"})"}) {
        error.clear();
        assert_false(NodeCallCodec::decodeCall(bad, &error).has_value());
        assert_false(error.empty());
    }
    std::string big(NodeCallCodec::kMaxPayload, 'x');
    assert_int_equal(refusalOf([&] { NodeCallCodec::encodeCall("a", "x.remote.y", request("k", big.c_str())); }),
                     static_cast<int>(ErrorCode::PayloadTooLarge));
    for (const char* bad : {"", R"({"error":0,"reason":"x"})", R"({"error":1008})", R"({"answer":[1]})"}) {
        error.clear();
        assert_false(NodeCallCodec::decodeAnswer(bad, &error).has_value());
        assert_false(error.empty());
    }
}

int main(int argc, char** argv) {
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_call_gets_the_other_nodes_answer),
        cmocka_unit_test(a_refusal_keeps_its_code_and_message),
        cmocka_unit_test(local_services_are_not_callable_from_other_nodes),
        cmocka_unit_test(calls_nobody_answers_are_refused),
        cmocka_unit_test(send_runs_the_service_without_an_answer),
        cmocka_unit_test(stop_wakes_a_waiting_caller),
        cmocka_unit_test(codec_refusals_say_why),
    };
    return cmocka_run_group_tests(tests, startServer, stopServer);
}
