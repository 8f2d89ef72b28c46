// TcpSourceBound (plugins/sip/tcp_source_bound.hpp) and ProcNetTable: /proc/net/tcp lines read right (IPv4,
// IPv6, IPv4-mapped, states other than ESTABLISHED and unreadable lines skipped), and a sweep over
// real loopback connections accepted by this process shuts down the surplus, longest idle first,
// leaving the bound and the connection that just talked.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "plugins/sip/tcp_source_bound.hpp"
// cmocka defines fail(): include it after the C++ library headers
#include "cmocka_cpp.hpp"

using namespace sylk::sip;

namespace {

const char* kTcp =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 0100007F:13C4 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 100 1 0 100 0 0 10 0\n"
    "   1: 0100007F:13C4 0200000A:A1B2 01 00000000:00000000 00:00000000 00000000     0        0 201 1 0 20 4 30 10 -1\n"
    "   2: 0100007F:13C4 0300000A:A1B3 08 00000000:00000000 00:00000000 00000000     0        0 202 1 0 20 4 30 10 -1\n"
    "   3: garbage\n"
    "   4: 0100007F:ZZZZ 0200000A:A1B2 01 00000000:00000000 00:00000000 00000000     0        0 203 1 0 20 4 30 10 -1\n";

const char* kTcp6 =
    "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 00000000000000000000000001000000:13C4 B80D0120000000000000000001000000:D431 01 00000000:00000000 00:00000000 00000000     0        0 301 1 0 20 4 30 10 -1\n"
    "   1: 0000000000000000FFFF00000100007F:13C4 0000000000000000FFFF00000200000A:D432 01 00000000:00000000 00:00000000 00000000     0        0 302 1 0 20 4 30 10 -1\n";

void reads_established_sockets_only(void**) {
    auto sockets = ProcNetTable::established(kTcp, false);
    assert_int_equal(sockets.size(), 1);
    assert_string_equal(sockets[0].source.c_str(), "10.0.0.2");
    assert_int_equal(sockets[0].localPort, 5060);
    assert_int_equal(sockets[0].inode, 201);

    auto sockets6 = ProcNetTable::established(kTcp6, true);
    assert_int_equal(sockets6.size(), 2);
    assert_string_equal(sockets6[0].source.c_str(), "2001:db8::1");
    assert_int_equal(sockets6[0].localPort, 5060);
    assert_string_equal(sockets6[1].source.c_str(), "10.0.0.2");  // IPv4-mapped: named as IPv4
    assert_int_equal(sockets6[1].inode, 302);
    assert_true(ProcNetTable::established("", false).empty());
}

bool closedByPeer(int fd) {
    pollfd poll_fd{fd, POLLIN, 0};
    if (poll(&poll_fd, 1, 0) <= 0)
        return false;
    char byte;
    return recv(fd, &byte, 1, MSG_DONTWAIT) == 0;
}

void sweep_shuts_down_the_longest_idle_beyond_the_bound(void**) {
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    assert_int_equal(listen(listener, 16), 0);
    socklen_t size = sizeof address;
    getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size);
    uint16_t port = ntohs(address.sin_port);

    std::vector<int> clients, accepted;
    for (int i = 0; i < 6; ++i) {
        int client = socket(AF_INET, SOCK_STREAM, 0);
        assert_int_equal(connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
        clients.push_back(client);
        accepted.push_back(accept(listener, nullptr, nullptr));
        std::this_thread::sleep_for(std::chrono::milliseconds(30));  // the first ones idle longest
    }
    // the last-but-one talks now: it is the least idle of all
    assert_int_equal(send(clients[4], "x", 1, 0), 1);
    char byte;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    assert_int_equal(recv(accepted[4], &byte, 1, 0), 1);

    TcpSourceBound none({port}, 0, std::chrono::milliseconds(0));
    assert_int_equal(none.sweep(), 0);
    TcpSourceBound other({static_cast<uint16_t>(port + 1)}, 2, std::chrono::milliseconds(0));
    assert_int_equal(other.sweep(), 0);  // not our port

    TcpSourceBound bound({port, 0}, 2, std::chrono::milliseconds(0));
    assert_int_equal(bound.sweep(), 4);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (int i = 0; i < 6; ++i) {
        bool kept = i == 4 || i == 5;  // the one that talked and the newest
        assert_int_equal(closedByPeer(clients[i]), !kept);
    }
    assert_int_equal(bound.sweep(), 0);  // shut sockets are no longer ESTABLISHED

    for (int fd : clients)
        close(fd);
    for (int fd : accepted)
        close(fd);
    close(listener);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_established_sockets_only),
        cmocka_unit_test(sweep_shuts_down_the_longest_idle_beyond_the_bound),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
