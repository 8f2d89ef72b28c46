#include "tcp_source_bound.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>

#include "sylkcore/log.hpp"

namespace sylk::sip {

namespace {

constexpr const char* kPackage = "janus.plugin.sylk.sip";
constexpr const char* kEstablished = "01";  // TCP_ESTABLISHED in /proc/net/tcp's st column

std::string readFile(const char* path) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

// "0100007F:13C4" (IPv4, the kernel's byte order) or 32 hex digits (IPv6, four host-order words)
// and a hex port: the address as text and the port. False when unreadable.
bool parseEndpoint(const std::string& field, bool ipv6, std::string& address, uint16_t& port) {
    auto colon = field.find(':');
    if (colon == std::string::npos)
        return false;
    std::string hex = field.substr(0, colon);
    char* end = nullptr;
    unsigned long portValue = std::strtoul(field.c_str() + colon + 1, &end, 16);
    if (*end != '\0' || portValue > 65535)
        return false;
    port = static_cast<uint16_t>(portValue);
    char text[INET6_ADDRSTRLEN] = {};
    if (!ipv6) {
        if (hex.size() != 8)
            return false;
        uint32_t raw = static_cast<uint32_t>(std::strtoul(hex.c_str(), &end, 16));
        if (*end != '\0')
            return false;
        in_addr ip{};
        ip.s_addr = raw;  // printed from the host-order word of the bytes as they are in memory
        inet_ntop(AF_INET, &ip, text, sizeof text);
    } else {
        if (hex.size() != 32)
            return false;
        in6_addr ip{};
        for (int word = 0; word < 4; ++word) {
            uint32_t raw = static_cast<uint32_t>(std::strtoul(hex.substr(word * 8, 8).c_str(), &end, 16));
            if (*end != '\0')
                return false;
            std::memcpy(ip.s6_addr + word * 4, &raw, 4);
        }
        // An IPv4 client of a dual-stack socket: its IPv4 address, as the IPv4 table would name it.
        if (IN6_IS_ADDR_V4MAPPED(&ip))
            inet_ntop(AF_INET, ip.s6_addr + 12, text, sizeof text);
        else
            inet_ntop(AF_INET6, &ip, text, sizeof text);
    }
    address = text;
    return true;
}

// Our descriptors by socket inode ("socket:[12345]" links in /proc/self/fd).
std::unordered_map<unsigned long, int> socketDescriptors() {
    std::unordered_map<unsigned long, int> found;
    DIR* folder = opendir("/proc/self/fd");
    if (!folder)
        return found;
    while (dirent* entry = readdir(folder)) {
        char* end = nullptr;
        long fd = std::strtol(entry->d_name, &end, 10);
        if (*end != '\0' || entry->d_name[0] == '\0')
            continue;
        char link[64];
        std::string path = std::string("/proc/self/fd/") + entry->d_name;
        ssize_t size = readlink(path.c_str(), link, sizeof link - 1);
        if (size <= 0)
            continue;
        link[size] = '\0';
        unsigned long inode = 0;
        if (std::sscanf(link, "socket:[%lu]", &inode) == 1)
            found[inode] = static_cast<int>(fd);
    }
    closedir(folder);
    return found;
}

// The descriptor is still the connection from `source` to our `localPort` (it was looked up by
// inode a moment ago; make sure before shutting it down).
bool stillTheConnection(int fd, const std::string& source, uint16_t localPort) {
    sockaddr_storage local{}, peer{};
    socklen_t localSize = sizeof local, peerSize = sizeof peer;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &localSize) != 0 ||
        getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peerSize) != 0)
        return false;
    uint16_t port = 0;
    if (local.ss_family == AF_INET)
        port = ntohs(reinterpret_cast<sockaddr_in*>(&local)->sin_port);
    else if (local.ss_family == AF_INET6)
        port = ntohs(reinterpret_cast<sockaddr_in6*>(&local)->sin6_port);
    char text[INET6_ADDRSTRLEN] = {};
    if (peer.ss_family == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&peer)->sin_addr, text, sizeof text);
    } else if (peer.ss_family == AF_INET6) {
        const in6_addr& ip = reinterpret_cast<sockaddr_in6*>(&peer)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(&ip))
            inet_ntop(AF_INET, ip.s6_addr + 12, text, sizeof text);
        else
            inet_ntop(AF_INET6, &ip, text, sizeof text);
    }
    return port == localPort && source == text;
}

}  // namespace

TcpSourceBound::TcpSourceBound(std::vector<uint16_t> ports, size_t perSource, std::chrono::milliseconds minimumIdle)
    : ports_(std::move(ports)), perSource_(perSource), minimumIdle_(minimumIdle) {
    ports_.erase(std::remove(ports_.begin(), ports_.end(), 0), ports_.end());
}

bool TcpSourceBound::ours(uint16_t localPort) const {
    return std::find(ports_.begin(), ports_.end(), localPort) != ports_.end();
}

std::vector<TcpSourceBound::Socket> TcpSourceBound::parseProcNet(const std::string& text, bool ipv6) {
    std::vector<Socket> sockets;
    std::istringstream lines(text);
    std::string line;
    std::getline(lines, line);  // the header
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout;
        unsigned long inode = 0;
        if (!(fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode))
            continue;
        if (state != kEstablished || inode == 0)
            continue;
        Socket socket;
        std::string localAddress;
        uint16_t remotePort = 0;
        if (!parseEndpoint(local, ipv6, localAddress, socket.localPort) ||
            !parseEndpoint(remote, ipv6, socket.source, remotePort))
            continue;
        socket.inode = inode;
        sockets.push_back(std::move(socket));
    }
    return sockets;
}

size_t TcpSourceBound::sweep() {
    if (perSource_ == 0 || ports_.empty())
        return 0;
    std::map<std::string, std::vector<Socket>> bySource;
    for (bool ipv6 : {false, true}) {
        for (auto& socket : parseProcNet(readFile(ipv6 ? "/proc/self/net/tcp6" : "/proc/self/net/tcp"), ipv6)) {
            if (ours(socket.localPort))
                bySource[socket.source].push_back(std::move(socket));
        }
    }
    size_t closed = 0;
    std::unordered_map<unsigned long, int> descriptors;
    for (auto& [source, sockets] : bySource) {
        if (sockets.size() <= perSource_)
            continue;
        if (descriptors.empty())
            descriptors = socketDescriptors();
        // (idle ms, fd) of the connections that are ours and idle long enough
        std::vector<std::pair<uint32_t, int>> idle;
        for (const auto& socket : sockets) {
            auto found = descriptors.find(socket.inode);
            if (found == descriptors.end() || !stillTheConnection(found->second, source, socket.localPort))
                continue;
            tcp_info info{};
            socklen_t size = sizeof info;
            if (getsockopt(found->second, IPPROTO_TCP, TCP_INFO, &info, &size) != 0)
                continue;
            if (info.tcpi_last_data_recv >= static_cast<uint32_t>(minimumIdle_.count()))
                idle.emplace_back(info.tcpi_last_data_recv, found->second);
        }
        size_t surplus = sockets.size() - perSource_;
        std::sort(idle.begin(), idle.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
        size_t shut = 0;
        for (const auto& [idleMs, fd] : idle) {
            if (shut == surplus)
                break;
            if (shutdown(fd, SHUT_RDWR) == 0)
                ++shut;
        }
        if (shut) {
            SYLK_LOG(LOG_WARN, kPackage, "closed %zu idle SIP connections from %s: it had %zu, more than the %zu allowed "
                     "per source (tcp_connections_per_source)", shut, source.c_str(), sockets.size(), perSource_);
        }
        closed += shut;
    }
    return closed;
}

}  // namespace sylk::sip
