#include "sock_diag_query.hpp"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace sylk::sip {

namespace {

constexpr uint32_t kEstablishedOnly = 1u << TCP_ESTABLISHED;

void append(std::vector<uint8_t>& bytes, const void* data, size_t size) {
    const auto* from = static_cast<const uint8_t*>(data);
    bytes.insert(bytes.end(), from, from + size);
}

// inet_diag bytecode accepting a socket whose local port is one of `ports`. The kernel's audit
// follows the "yes" chain, so the alternatives are joined as ss(8) joins an "or": each test's
// "yes" goes to a JMP whose "no" (a JMP always takes it) ends the program, accepting; its "no"
// skips that JMP to the next test; the last test's "no" jumps past the end, rejecting.
std::vector<uint8_t> portFilter(const std::vector<uint16_t>& ports) {
    std::vector<uint8_t> code;
    const size_t length = ports.size() * 12 - 4;
    for (size_t i = 0; i < ports.size(); ++i) {
        inet_diag_bc_op test{INET_DIAG_BC_S_EQ, 8, 12};
        inet_diag_bc_op port{0, 0, ports[i]};
        append(code, &test, sizeof test);
        append(code, &port, sizeof port);
        if (i + 1 < ports.size()) {
            inet_diag_bc_op accept{INET_DIAG_BC_JMP, 4, static_cast<uint16_t>(length - code.size())};
            append(code, &accept, sizeof accept);
        }
    }
    return code;
}

std::string peerAddress(const inet_diag_msg& message) {
    char text[INET6_ADDRSTRLEN] = {};
    if (message.idiag_family == AF_INET) {
        inet_ntop(AF_INET, message.id.idiag_dst, text, sizeof text);
    } else {
        in6_addr ip{};
        std::memcpy(&ip, message.id.idiag_dst, sizeof ip);
        // An IPv4 client of a dual-stack socket: named by its IPv4 address, as /proc's reader does.
        if (IN6_IS_ADDR_V4MAPPED(&ip))
            inet_ntop(AF_INET, ip.s6_addr + 12, text, sizeof text);
        else
            inet_ntop(AF_INET6, &ip, text, sizeof text);
    }
    return text;
}

// One family's dump over a NETLINK_SOCK_DIAG socket.
bool dump(int fd, uint8_t family, const std::vector<uint16_t>& ports, uint32_t sequence,
          std::vector<ProcNetTable::Socket>& sockets) {
    std::vector<uint8_t> message = SockDiagQuery::request(family, ports, sequence);
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (sendto(fd, message.data(), message.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) !=
        static_cast<ssize_t>(message.size()))
        return false;
    std::vector<uint8_t> buffer(65536);  // more than the kernel puts in one datagram of a dump
    for (;;) {
        ssize_t size = recv(fd, buffer.data(), buffer.size(), MSG_TRUNC);
        if (size <= 0 || static_cast<size_t>(size) > buffer.size())
            return false;
        auto reply = SockDiagQuery::read(buffer.data(), static_cast<size_t>(size), sockets);
        if (reply != SockDiagQuery::Reply::More)
            return reply == SockDiagQuery::Reply::Done;
    }
}

// The netlink socket, closed on every path.
class NetlinkSocket {
public:
    NetlinkSocket() : fd_(socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)) {
        if (fd_ >= 0) {
            timeval timeout{1, 0};  // never hang the SIP thread on a kernel that does not answer
            setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        }
    }
    ~NetlinkSocket() {
        if (fd_ >= 0)
            close(fd_);
    }
    NetlinkSocket(const NetlinkSocket&) = delete;
    NetlinkSocket& operator=(const NetlinkSocket&) = delete;
    int fd() const { return fd_; }

private:
    int fd_;
};

}  // namespace

std::vector<uint8_t> SockDiagQuery::request(uint8_t family, const std::vector<uint16_t>& ports, uint32_t sequence) {
    std::vector<uint8_t> filter = portFilter(ports);
    nlattr attribute{};
    attribute.nla_type = INET_DIAG_REQ_BYTECODE;
    attribute.nla_len = static_cast<uint16_t>(NLA_HDRLEN + filter.size());
    inet_diag_req_v2 query{};
    query.sdiag_family = family;
    query.sdiag_protocol = IPPROTO_TCP;
    query.idiag_states = kEstablishedOnly;
    nlmsghdr header{};
    header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    header.nlmsg_seq = sequence;
    header.nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(sizeof query) + NLA_ALIGN(attribute.nla_len));
    std::vector<uint8_t> message;
    append(message, &header, sizeof header);
    message.resize(NLMSG_HDRLEN);
    append(message, &query, sizeof query);
    message.resize(NLMSG_LENGTH(sizeof query));
    append(message, &attribute, sizeof attribute);
    message.resize(message.size() - sizeof attribute + NLA_HDRLEN);
    append(message, filter.data(), filter.size());
    message.resize(header.nlmsg_len);  // the attribute's padding (none: the filter is 4-byte words)
    return message;
}

SockDiagQuery::Reply SockDiagQuery::read(const uint8_t* data, size_t size, std::vector<ProcNetTable::Socket>& sockets) {
    size_t offset = 0;
    while (size - offset >= sizeof(nlmsghdr)) {
        nlmsghdr header;
        std::memcpy(&header, data + offset, sizeof header);
        if (header.nlmsg_len < sizeof header || header.nlmsg_len > size - offset)
            return Reply::Failed;
        if (header.nlmsg_type == NLMSG_DONE)
            return Reply::Done;
        if (header.nlmsg_type == NLMSG_ERROR || header.nlmsg_type != SOCK_DIAG_BY_FAMILY)
            return Reply::Failed;
        if (header.nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg)))
            return Reply::Failed;
        inet_diag_msg message;
        std::memcpy(&message, data + offset + NLMSG_HDRLEN, sizeof message);
        if ((message.idiag_family == AF_INET || message.idiag_family == AF_INET6) &&
            message.idiag_state == TCP_ESTABLISHED && message.idiag_inode != 0) {
            ProcNetTable::Socket socket;
            socket.source = peerAddress(message);
            socket.localPort = ntohs(message.id.idiag_sport);
            socket.inode = message.idiag_inode;
            sockets.push_back(std::move(socket));
        }
        offset += std::min<size_t>(NLMSG_ALIGN(header.nlmsg_len), size - offset);
    }
    return Reply::More;
}

bool SockDiagQuery::established(const std::vector<uint16_t>& ports, std::vector<ProcNetTable::Socket>& sockets) {
    if (ports.empty())
        return true;
    NetlinkSocket netlink;
    if (netlink.fd() < 0)
        return false;
    std::vector<ProcNetTable::Socket> found;
    if (!dump(netlink.fd(), AF_INET, ports, 1, found) || !dump(netlink.fd(), AF_INET6, ports, 2, found))
        return false;
    sockets.insert(sockets.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
    return true;
}

}  // namespace sylk::sip
