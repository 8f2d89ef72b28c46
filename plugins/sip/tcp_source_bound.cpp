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
#include <iterator>
#include <map>
#include <sstream>
#include <unordered_map>

#include "sock_diag_query.hpp"
#include "sylkcore/log.hpp"

namespace sylk::sip {

namespace {

constexpr const char* kPackage = "janus.plugin.sylk.sip";

std::string readFile(const char* path) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
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

size_t TcpSourceBound::sweep() {
    if (perSource_ == 0 || ports_.empty())
        return 0;
    // The kernel's filtered answer costs a walk of its hash for our few sockets; /proc (every
    // socket of the namespace as text, the hash rewalked per page) only when netlink is refused.
    std::vector<ProcNetTable::Socket> found;
    if (!SockDiagQuery::established(ports_, found)) {
        found.clear();
        for (bool ipv6 : {false, true}) {
            auto table = ProcNetTable::established(readFile(ipv6 ? "/proc/self/net/tcp6" : "/proc/self/net/tcp"), ipv6);
            found.insert(found.end(), std::make_move_iterator(table.begin()), std::make_move_iterator(table.end()));
        }
    }
    std::map<std::string, std::vector<ProcNetTable::Socket>> bySource;
    for (auto& socket : found) {
        if (ours(socket.localPort))
            bySource[socket.source].push_back(std::move(socket));
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
