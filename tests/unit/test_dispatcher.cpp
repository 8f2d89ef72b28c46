#include <string>

#include "cmocka_cpp.hpp"
#include "request_errors.hpp"
#include "sylkcore/dispatcher.hpp"

using namespace sylk;

struct Counter {
    int calls = 0;
};

static Dispatcher<Counter> makeDispatcher() {
    Dispatcher<Counter> dispatcher;
    dispatcher.add("add", Execution::Inline, [](Counter& counter, RequestReader& reader, const Request&) {
        counter.calls += static_cast<int>(reader.requireInt("n", 1, 10));
        reader.rejectUnknownFields();
        return Reply{Json::object().set("total", counter.calls), {}};
    });
    dispatcher.add("later", Execution::ControlLoop, [](Counter&, RequestReader&, const Request&) { return Reply{}; });
    return dispatcher;
}

static void routes_by_verb_and_runs_handler(void**) {
    auto dispatcher = makeDispatcher();
    Counter counter;
    Request request{"", Json::parse(R"({"request":"add","n":3})"), {}};
    std::string verb;
    const auto& route = dispatcher.route(request.body.get(), &verb);
    assert_string_equal(verb.c_str(), "add");
    assert_int_equal(static_cast<int>(route.execution), static_cast<int>(Execution::Inline));
    Reply reply = dispatcher.run(route, counter, request);
    assert_int_equal(json_integer_value(reply.body.member("total")), 3);
    // "request" itself does not count as an unknown field
    assert_int_equal(counter.calls, 3);
}

static void unknown_and_missing_verbs_are_refused(void**) {
    auto dispatcher = makeDispatcher();
    std::string message;
    Json unknown = Json::parse(R"({"request":"fly"})");
    assert_int_equal(errorOf([&] { dispatcher.route(unknown.get()); }, &message), 1004);
    assert_string_equal(message.c_str(), "unknown request 'fly' (known: add, later)");
    Json missing = Json::parse(R"({"n":1})");
    assert_int_equal(errorOf([&] { dispatcher.route(missing.get()); }), 1002);
    Json mistyped = Json::parse(R"({"request":7})");
    assert_int_equal(errorOf([&] { dispatcher.route(mistyped.get()); }), 1003);
    Json array = Json::parse(R"([1])");
    assert_int_equal(errorOf([&] { dispatcher.route(array.get()); }), 1001);
}

static void a_body_without_verb_runs_the_verb_set_for_it(void**) {
    auto dispatcher = makeDispatcher();
    dispatcher.setVerbForBodiesWithout("add");
    Counter counter;
    Request request{"", Json::parse(R"({"n":2})"), {}};
    std::string verb;
    const auto& route = dispatcher.route(request.body.get(), &verb);
    assert_string_equal(verb.c_str(), "add");
    Reply reply = dispatcher.run(route, counter, request);
    assert_int_equal(json_integer_value(reply.body.member("total")), 2);
    // A named verb still wins, and the handler's own checks still apply.
    Json later = Json::parse(R"({"request":"later"})");
    assert_int_equal(static_cast<int>(dispatcher.route(later.get()).execution), static_cast<int>(Execution::ControlLoop));
    Request stray{"", Json::parse(R"({"m":2})"), {}};
    assert_int_equal(errorOf([&] { dispatcher.run(dispatcher.route(stray.body.get()), counter, stray); }), 1002);
    // Not an object, a mistyped or an unknown verb: refused as before.
    Json array = Json::parse(R"([1])");
    assert_int_equal(errorOf([&] { dispatcher.route(array.get()); }), 1001);
    Json mistyped = Json::parse(R"({"request":7})");
    assert_int_equal(errorOf([&] { dispatcher.route(mistyped.get()); }), 1003);
    Json unknown = Json::parse(R"({"request":"fly"})");
    assert_int_equal(errorOf([&] { dispatcher.route(unknown.get()); }), 1004);
}

static void size_limit_and_error_shape(void**) {
    Json body = Json::object();
    body.set("request", "add").set("pad", std::string(2000, 'x'));
    std::string message;
    assert_int_equal(errorOf([&] { checkRequestSize(body, 1024); }, &message), 1005);
    assert_non_null(strstr(message.c_str(), "the limit is 1024"));
    assert_int_equal(errorOf([&] { checkRequestSize(body, 4096); }), 0);
    Json error = errorReply("echo", ErrorCode::UnknownRequest, "nope");
    assert_string_equal(error.dump().c_str(),
                        R"({"echo":"event","error_code":1004,"error":"nope","error_name":"unknown_request"})");
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(routes_by_verb_and_runs_handler),
        cmocka_unit_test(a_body_without_verb_runs_the_verb_set_for_it),
        cmocka_unit_test(unknown_and_missing_verbs_are_refused),
        cmocka_unit_test(size_limit_and_error_shape),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
