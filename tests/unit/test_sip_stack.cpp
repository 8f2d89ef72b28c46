// SipStack's choice of listener for an outgoing request (dual stack): by the target's family;
// a started stack on its StackThread: Sofia's sockets driven by the GLib loop, posted work in
// order, nothing taken once stopping.
#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "plugins/sip/sip_stack.hpp"
#include "sip_probe.hpp"
// cmocka defines fail(): include it after the C++ library headers
#include "cmocka_cpp.hpp"

using namespace sylk::sip;

static SipSettings dualStack() {
    SipSettings settings;
    settings.ip = "127.0.0.1";
    settings.ip6 = "::1";
    return settings;
}

static void picks_the_listener_by_the_targets_family(void**) {
    SipStack stack(dualStack());  // not started: no sockets
    assert_int_equal(stack.listeners(), 2);
    assert_int_equal(stack.listenerFor("sip:bob@127.0.0.1:5072"), 0);
    assert_int_equal(stack.listenerFor("sip:bob@[::1]:5072"), 1);
    assert_int_equal(stack.listenerFor("<sip:[::1]:5060;transport=tcp>"), 1);
    assert_int_equal(stack.listenerFor("sips:carol@[2001:db8::7]"), 1);
    assert_int_equal(stack.listenerFor("sip:bob@example.com"), 0);   // names: IPv4
    assert_int_equal(stack.listenerFor("sip:[::1"), 0);              // not a URI: the first
    assert_int_equal(stack.listenerFor(""), 0);
    assert_string_equal(stack.contactFor("room", 1).c_str(), "<sip:room@[::1]:5060>");
    assert_string_equal(stack.hostPort(0).c_str(), "127.0.0.1:5060");
}

static void one_listener_takes_everything(void**) {
    SipSettings settings;
    settings.ip = "::1";
    SipStack stack(settings);
    assert_int_equal(stack.listeners(), 1);
    assert_int_equal(stack.listenerFor("sip:bob@127.0.0.1"), 0);
    assert_int_equal(stack.listenerFor("sip:bob@[::1]"), 0);
}

static void a_started_stack_answers_and_runs_posted_work_in_order(void**) {
    SipSettings settings;
    settings.port = freePort();
    settings.tlsPort = 0;
    SipStack stack(settings);
    assert_false(stack.post([] {}));  // not started
    stack.start();
    // Sofia's UDP socket and transactions run on the StackThread's GLib loop.
    assert_string_equal(options(settings.port).c_str(), "SIP/2.0 200 OK");
    std::vector<int> order;  // SIP thread
    for (int i = 0; i < 500; ++i)
        assert_true(stack.post([&order, i] { order.push_back(i); }));
    assert_true(stack.post([] { throw std::runtime_error("logged, not fatal"); }));
    std::vector<int> seen;
    stack.execute([&] { seen = order; });
    assert_int_equal(seen.size(), 500);
    for (int i = 0; i < 500; ++i)
        assert_int_equal(seen[static_cast<size_t>(i)], i);
    bool threw = false;
    try {
        stack.execute([] { throw std::invalid_argument("rethrown"); });
    } catch (const std::invalid_argument&) {
        threw = true;
    }
    assert_true(threw);
    stack.stop();
    assert_true(stack.closing());
}

static void nothing_is_taken_once_the_stack_stops(void**) {
    SipSettings settings;
    settings.port = freePort();
    settings.tlsPort = 0;
    SipStack stack(settings);
    stack.start();
    auto token = std::make_shared<int>(0);
    std::atomic<int> ran{0};
    // Work queued before stop() runs (the stack is still up), in order, before the teardown.
    for (int i = 0; i < 20; ++i)
        assert_true(stack.post([&ran, token] { ++ran; }));
    stack.stop();
    assert_int_equal(ran.load(), 20);
    assert_false(stack.post([&ran, token] { ++ran; }));  // refused and freed
    assert_int_equal(token.use_count(), 1);
    bool threw = false;
    try {
        stack.execute([&] { ++ran; });
    } catch (const std::runtime_error&) {
        threw = true;
    }
    assert_true(threw);
    assert_int_equal(ran.load(), 20);
    assert_string_equal(options(settings.port).c_str(), "");  // nobody listens any more
    stack.stop();  // twice is fine
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(picks_the_listener_by_the_targets_family),
        cmocka_unit_test(one_listener_takes_everything),
        cmocka_unit_test(a_started_stack_answers_and_runs_posted_work_in_order),
        cmocka_unit_test(nothing_is_taken_once_the_stack_stops),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
