// SipStack's choice of listener for an outgoing request (dual stack): by the target's family.
#include <string>

#include "plugins/sip/sip_stack.hpp"
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

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(picks_the_listener_by_the_targets_family),
        cmocka_unit_test(one_listener_takes_everything),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
