// SipStack's choice of listener for an outgoing request (dual stack): by the target's family;
// a started stack on its StackThread: Sofia's sockets driven by the GLib loop, posted work in
// order, nothing taken once stopping.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

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

// A free UDP port on 127.0.0.1 (Sofia binds UDP and TCP on it; TCP is checked by start()).
static uint16_t freePort() {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    close(fd);
    return ntohs(address.sin_port);
}

// Sends an OPTIONS over UDP and returns the status line of the answer ("" if none in 5 s).
static std::string options(uint16_t port) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local);
    socklen_t length = sizeof local;
    getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length);
    std::string me = "127.0.0.1:" + std::to_string(ntohs(local.sin_port));
    std::string request = "OPTIONS sip:127.0.0.1:" + std::to_string(port) + " SIP/2.0\r\n"
                          "Via: SIP/2.0/UDP " + me + ";branch=z9hG4bK-stack-test\r\n"
                          "Max-Forwards: 70\r\n"
                          "From: <sip:probe@" + me + ">;tag=probe\r\n"
                          "To: <sip:127.0.0.1:" + std::to_string(port) + ">\r\n"
                          "Call-ID: stack-test@" + me + "\r\n"
                          "CSeq: 1 OPTIONS\r\n"
                          "Content-Length: 0\r\n\r\n";
    sockaddr_in target{};
    target.sin_family = AF_INET;
    target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    target.sin_port = htons(port);
    sendto(fd, request.data(), request.size(), 0, reinterpret_cast<sockaddr*>(&target), sizeof target);
    pollfd ready{fd, POLLIN, 0};
    std::string status;
    if (poll(&ready, 1, 5000) == 1) {
        char buffer[4096];
        ssize_t got = recv(fd, buffer, sizeof buffer - 1, 0);
        if (got > 0)
            status.assign(buffer, static_cast<size_t>(got));
        status = status.substr(0, status.find("\r\n"));
    }
    close(fd);
    return status;
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

static void a_port_in_use_fails_start(void**) {
    SipSettings settings;
    settings.port = freePort();
    settings.tlsPort = 0;
    SipStack first(settings);
    first.start();
    SipStack second(settings);
    bool threw = false;
    try {
        second.start();
    } catch (const std::runtime_error&) {
        threw = true;
    }
    assert_true(threw);
    assert_false(second.post([] {}));
    assert_string_equal(options(settings.port).c_str(), "SIP/2.0 200 OK");  // the first still answers
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(picks_the_listener_by_the_targets_family),
        cmocka_unit_test(one_listener_takes_everything),
        cmocka_unit_test(a_started_stack_answers_and_runs_posted_work_in_order),
        cmocka_unit_test(nothing_is_taken_once_the_stack_stops),
        cmocka_unit_test(a_port_in_use_fails_start),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
