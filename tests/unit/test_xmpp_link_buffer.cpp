// The xmpp plugin's component connection (plugins/xmpp/buffered_tcp_connection.hpp) over a real
// socket pair with a small send buffer: writes never block, what the socket does not take waits
// and goes out in order as the peer reads, and a backlog over the bound is reported once (the
// link is then dropped by its owner) instead of growing.
#include <gloox/logsink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "plugins/xmpp/buffered_tcp_connection.hpp"
// cmocka defines fail(): include it after the C++ library headers
#include "cmocka_cpp.hpp"

using sylk::xmpp::BufferedTcpConnection;

namespace {

struct Pair {
    int ours = -1;
    int peer = -1;
    Pair() {
        int fds[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
        ours = fds[0];
        peer = fds[1];
        int small = 8192;
        setsockopt(ours, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
        setsockopt(peer, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    }
    ~Pair() {
        if (peer >= 0)
            close(peer);
    }
    // Everything the peer can read now.
    std::string drain() const {
        std::string got;
        char buffer[65536];
        for (;;) {
            ssize_t n = recv(peer, buffer, sizeof buffer, MSG_DONTWAIT);
            if (n <= 0)
                return got;
            got.append(buffer, static_cast<size_t>(n));
        }
    }
};

std::string chunk(int index) {
    std::string text = "<message id='" + std::to_string(index) + "'>";
    text.append(1000, static_cast<char>('a' + index % 26));
    return text + "</message>";
}

void writes_wait_and_keep_their_order(void**) {
    Pair pair;
    gloox::LogSink log;
    int started = 0;
    std::vector<std::string> stuck;
    BufferedTcpConnection::Hooks hooks;
    hooks.backlogStarted = [&] { ++started; };
    hooks.stuck = [&](const std::string& why) { stuck.push_back(why); };
    BufferedTcpConnection connection(nullptr, log, "127.0.0.1", 1, 16 * 1024 * 1024, hooks);
    connection.setSocket(pair.ours);  // the connection owns and closes it
    std::string sent;
    for (int i = 0; i < 2000; ++i) {  // ~2 MB into an 8 kB buffer: a blocking write would hang here
        std::string data = chunk(i);
        assert_true(connection.send(data));
        sent += data;
    }
    assert_int_equal(started, 1);
    assert_true(connection.backlog() > 0);
    std::string got = pair.drain();
    while (!connection.flush())
        got += pair.drain();
    got += pair.drain();
    assert_int_equal(connection.backlog(), 0);
    assert_true(got == sent);
    assert_true(stuck.empty());
    // Drained: the next write goes straight out, and a new backlog is announced again.
    assert_true(connection.send("<presence/>"));
    assert_true(pair.drain() == "<presence/>");
}

void a_backlog_over_the_bound_is_reported_once(void**) {
    Pair pair;
    gloox::LogSink log;
    std::vector<std::string> stuck;
    BufferedTcpConnection::Hooks hooks;
    hooks.backlogStarted = [] {};
    hooks.stuck = [&](const std::string& why) { stuck.push_back(why); };
    BufferedTcpConnection connection(nullptr, log, "127.0.0.1", 1, 64 * 1024, hooks);
    connection.setSocket(pair.ours);
    int accepted = 0;
    for (int i = 0; i < 1000 && stuck.empty(); ++i)
        accepted += connection.send(chunk(i)) ? 1 : 0;
    assert_int_equal(stuck.size(), 1);
    assert_true(stuck[0].find("stopped reading") != std::string::npos);
    assert_true(accepted > 0 && accepted < 1000);
    assert_int_equal(connection.backlog(), 0);  // dropped: never the server's
    assert_false(connection.send(chunk(0)));
    assert_int_equal(stuck.size(), 1);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(writes_wait_and_keep_their_order),
        cmocka_unit_test(a_backlog_over_the_bound_is_reported_once),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
