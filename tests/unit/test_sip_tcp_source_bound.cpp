// TcpSourceBound (plugins/sip/tcp_source_bound.hpp) and ProcNetTable: /proc/net/tcp lines read right (IPv4,
// IPv6, IPv4-mapped, states other than ESTABLISHED and unreadable lines skipped), and a sweep over
// real loopback connections accepted by this process shuts down the surplus, longest idle first,
// leaving the bound and the connection that just talked. SockDiagQuery (what sweep() asks first):
// the kernel's inet_diag answer gives the same sockets as /proc for our ports only, both families,
// and its reader takes a mapped IPv4 peer, stops at NLMSG_DONE and refuses errors and truncation.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "plugins/sip/sock_diag_query.hpp"
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

// A listening socket on the loopback of `family` and `count` connections to it (client, accepted).
struct Loopback {
    int listener = -1;
    uint16_t port = 0;
    std::vector<int> fds;
    Loopback(int family, int count) {
        listener = socket(family, SOCK_STREAM, 0);
        sockaddr_storage address{};
        socklen_t size;
        if (family == AF_INET) {
            auto* ip = reinterpret_cast<sockaddr_in*>(&address);
            ip->sin_family = AF_INET;
            ip->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            size = sizeof *ip;
        } else {
            auto* ip = reinterpret_cast<sockaddr_in6*>(&address);
            ip->sin6_family = AF_INET6;
            ip->sin6_addr = in6addr_loopback;
            size = sizeof *ip;
        }
        assert_int_equal(bind(listener, reinterpret_cast<sockaddr*>(&address), size), 0);
        assert_int_equal(listen(listener, 16), 0);
        getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size);
        port = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&address)->sin_port
                                       : reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
        for (int i = 0; i < count; ++i) {
            int client = socket(family, SOCK_STREAM, 0);
            assert_int_equal(connect(client, reinterpret_cast<sockaddr*>(&address), size), 0);
            fds.push_back(client);
            fds.push_back(accept(listener, nullptr, nullptr));
        }
    }
    ~Loopback() {
        for (int fd : fds)
            close(fd);
        close(listener);
    }
};

std::string readProc(const char* path) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

std::vector<unsigned long> inodesOn(const std::vector<ProcNetTable::Socket>& sockets, uint16_t port) {
    std::vector<unsigned long> inodes;
    for (const auto& socket : sockets) {
        if (socket.localPort == port)
            inodes.push_back(socket.inode);
    }
    std::sort(inodes.begin(), inodes.end());
    return inodes;
}

void sock_diag_answers_as_proc_does_for_our_ports_only(void**) {
    Loopback first(AF_INET, 2), second(AF_INET, 1), third(AF_INET6, 1);

    std::vector<ProcNetTable::Socket> found;
    assert_true(SockDiagQuery::established({first.port, third.port}, found));
    assert_int_equal(found.size(), 3);  // the accepted ends; not the clients', not second's
    for (const auto& socket : found)
        assert_string_equal(socket.source.c_str(), socket.localPort == third.port ? "::1" : "127.0.0.1");

    auto proc = ProcNetTable::established(readProc("/proc/self/net/tcp"), false);
    auto proc6 = ProcNetTable::established(readProc("/proc/self/net/tcp6"), true);
    assert_true(inodesOn(found, first.port) == inodesOn(proc, first.port));
    assert_int_equal(inodesOn(found, first.port).size(), 2);
    assert_true(inodesOn(found, third.port) == inodesOn(proc6, third.port));

    std::vector<ProcNetTable::Socket> one;
    assert_true(SockDiagQuery::established({second.port}, one));
    assert_int_equal(one.size(), 1);
    assert_int_equal(one[0].localPort, second.port);
    std::vector<ProcNetTable::Socket> none;
    assert_true(SockDiagQuery::established({}, none));
    assert_true(none.empty());
}

std::vector<uint8_t> netlinkMessage(uint16_t type, const void* payload, size_t size) {
    nlmsghdr header{};
    header.nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(size));
    header.nlmsg_type = type;
    std::vector<uint8_t> bytes(NLMSG_SPACE(size));
    std::memcpy(bytes.data(), &header, sizeof header);
    std::memcpy(bytes.data() + NLMSG_HDRLEN, payload, size);
    return bytes;
}

void sock_diag_reply_is_read_right(void**) {
    inet_diag_msg message{};
    message.idiag_family = AF_INET6;
    message.idiag_state = TCP_ESTABLISHED;
    message.id.idiag_sport = htons(5060);
    in6_addr mapped{};
    inet_pton(AF_INET6, "::ffff:10.0.0.2", &mapped);
    std::memcpy(message.id.idiag_dst, &mapped, sizeof mapped);
    message.idiag_inode = 302;
    auto datagram = netlinkMessage(SOCK_DIAG_BY_FAMILY, &message, sizeof message);
    message.idiag_state = TCP_CLOSE_WAIT;  // not established: skipped
    auto closing = netlinkMessage(SOCK_DIAG_BY_FAMILY, &message, sizeof message);
    datagram.insert(datagram.end(), closing.begin(), closing.end());

    std::vector<ProcNetTable::Socket> sockets;
    assert_true(SockDiagQuery::read(datagram.data(), datagram.size(), sockets) == SockDiagQuery::Reply::More);
    assert_int_equal(sockets.size(), 1);
    assert_string_equal(sockets[0].source.c_str(), "10.0.0.2");
    assert_int_equal(sockets[0].localPort, 5060);
    assert_int_equal(sockets[0].inode, 302);

    int status = 0;
    auto done = netlinkMessage(NLMSG_DONE, &status, sizeof status);
    assert_true(SockDiagQuery::read(done.data(), done.size(), sockets) == SockDiagQuery::Reply::Done);
    nlmsgerr error{};
    error.error = -EINVAL;
    auto refused = netlinkMessage(NLMSG_ERROR, &error, sizeof error);
    assert_true(SockDiagQuery::read(refused.data(), refused.size(), sockets) == SockDiagQuery::Reply::Failed);
    auto cut = netlinkMessage(SOCK_DIAG_BY_FAMILY, &message, sizeof message);
    assert_true(SockDiagQuery::read(cut.data(), cut.size() - 8, sockets) == SockDiagQuery::Reply::Failed);
    assert_int_equal(sockets.size(), 1);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_established_sockets_only),
        cmocka_unit_test(sweep_shuts_down_the_longest_idle_beyond_the_bound),
        cmocka_unit_test(sock_diag_answers_as_proc_does_for_our_ports_only),
        cmocka_unit_test(sock_diag_reply_is_read_right),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
