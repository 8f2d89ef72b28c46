#include "remote_feed.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "publisher.hpp"
#include "sylkcore/janus/types.hpp"

namespace sylk::videoroom {
namespace {

// The address bytes of host (an IP literal), or empty.
std::string rawAddress(const std::string& host, int* family = nullptr) {
    in6_addr v6{};
    in_addr v4{};
    if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
        if (family)
            *family = AF_INET;
        return std::string(reinterpret_cast<const char*>(&v4), sizeof(v4));
    }
    if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
        if (family)
            *family = AF_INET6;
        return std::string(reinterpret_cast<const char*>(&v6), sizeof(v6));
    }
    return {};
}

}  // namespace

RemoteFeed::RemoteFeed(std::string fromNode, std::shared_ptr<Publisher> publisher, const std::string& bindHost)
    : node(std::move(fromNode)), feed(std::move(publisher)) {
    int family = AF_INET;
    std::string bytes = rawAddress(bindHost, &family);
    if (bytes.empty())
        throw std::runtime_error("media address '" + bindHost + "' is no IP address");
    sockaddr_storage address{};
    socklen_t length;
    if (family == AF_INET) {
        auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
        v4->sin_family = AF_INET;
        std::memcpy(&v4->sin_addr, bytes.data(), bytes.size());
        length = sizeof(*v4);
    } else {
        auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
        v6->sin6_family = AF_INET6;
        std::memcpy(&v6->sin6_addr, bytes.data(), bytes.size());
        length = sizeof(*v6);
    }
    fd_ = ::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
        throw std::runtime_error(std::string("relay socket: ") + std::strerror(errno));
    // Room for a burst of video frames while this thread is not scheduled.
    int buffer = 1 << 20;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        int error = errno;
        ::close(fd_);
        throw std::runtime_error("relay socket on " + bindHost + ": " + std::strerror(error));
    }
    port_ = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&address)->sin_port
                                    : reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
    wake_ = ::eventfd(0, EFD_CLOEXEC);
    if (wake_ < 0) {
        ::close(fd_);
        throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
    }
    route_.store(std::make_shared<const Route>());
}

RemoteFeed::~RemoteFeed() {
    if (thread_.joinable()) {
        uint64_t one = 1;
        if (::write(wake_, &one, sizeof(one)) < 0) {
            // cannot happen with a fresh eventfd; the thread would then never end
        }
        thread_.join();
    }
    ::close(wake_);
    ::close(fd_);
}

void RemoteFeed::accept(const std::string& sourceHost, const std::array<bool, 128>& video,
                        const std::array<bool, 128>& known) {
    auto route = std::make_shared<Route>();
    route->source = rawAddress(sourceHost);
    route->video = video;
    route->known = known;
    route_.store(std::move(route));
    // The thread starts with the first media announced: a participant of the other node who
    // never publishes costs this node a socket, not a thread.
    if (!thread_.joinable() && std::find(known.begin(), known.end(), true) != known.end())
        thread_ = std::thread([this] { run(); });
}

void RemoteFeed::run() {
    char buffer[2048];
    pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_, POLLIN, 0}};
    for (;;) {
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        if (fds[1].revents)
            return;
        sockaddr_storage from{};
        socklen_t fromLength = sizeof(from);
        ssize_t length = ::recvfrom(fd_, buffer, sizeof(buffer), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &fromLength);
        if (length < 12)
            continue;
        auto route = route_.load(std::memory_order_acquire);
        std::string_view sender;
        if (from.ss_family == AF_INET)
            sender = {reinterpret_cast<const char*>(&reinterpret_cast<sockaddr_in*>(&from)->sin_addr), 4};
        else if (from.ss_family == AF_INET6)
            sender = {reinterpret_cast<const char*>(&reinterpret_cast<sockaddr_in6*>(&from)->sin6_addr), 16};
        const int pt = static_cast<unsigned char>(buffer[1]) & 0x7f;
        if ((static_cast<unsigned char>(buffer[0]) >> 6) != 2 || route->source.empty() || sender != route->source ||
            !route->known[static_cast<size_t>(pt)]) {
            refused_.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        packets_.fetch_add(1, std::memory_order_relaxed);
        janus::RtpPacket packet{};
        janus_plugin_rtp_extensions_reset(&packet.extensions);
        packet.mindex = pt;
        packet.video = route->video[static_cast<size_t>(pt)];
        packet.buffer = buffer;
        packet.length = static_cast<uint16_t>(length);
        feed->onRtp(&packet);
    }
}

Json RemoteFeed::describe() const {
    Json json = Json::object();
    json.set("feed", static_cast<json_int_t>(feed->id))
        .set("node", node)
        .set("port", port_)
        .set("display", feed->display)
        .setBool("active", feed->active)
        .set("streams", static_cast<json_int_t>(feed->streams().size()))
        .set("packets", static_cast<json_int_t>(packets_.load()))
        .set("refused", static_cast<json_int_t>(refused_.load()))
        .set("keyframe_requests", static_cast<json_int_t>(keyframeRequests.load()))
        .setBool("answered", answered);
    return json;
}

}  // namespace sylk::videoroom
