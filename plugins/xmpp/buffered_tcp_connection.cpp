#include "buffered_tcp_connection.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace sylk::xmpp {

BufferedTcpConnection::BufferedTcpConnection(gloox::ConnectionDataHandler* handler, const gloox::LogSink& log,
                                             const std::string& host, int port, size_t maxBacklog, Hooks hooks)
    : gloox::ConnectionTCPClient(handler, log, host, port), maxBacklog_(maxBacklog), hooks_(std::move(hooks)) {}

bool BufferedTcpConnection::writeSome(const char* data, size_t size, size_t& written) {
    written = 0;
    while (written < size) {
        ssize_t sent = ::send(m_socket, data + written, size - written, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (sent > 0) {
            written += static_cast<size_t>(sent);
            continue;
        }
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return true;  // the socket is full: the rest waits for G_IO_OUT
        fail(std::string("writing to the server failed: ") + (sent < 0 ? std::strerror(errno) : "nothing written"));
        return false;
    }
    return true;
}

bool BufferedTcpConnection::send(const std::string& data) {
    if (failed_ || m_socket < 0)
        return false;
    if (data.empty())
        return true;
    bool waiting = backlog() > 0;
    size_t written = 0;
    if (!waiting && !writeSome(data.data(), data.size(), written))
        return false;
    if (written == data.size())
        return true;
    if (backlog() + data.size() - written > maxBacklog_) {
        fail("the server stopped reading: more than " + std::to_string(maxBacklog_) + " bytes wait to be written");
        return false;
    }
    backlog_.append(data, written, std::string::npos);
    if (!waiting && hooks_.backlogStarted)
        hooks_.backlogStarted();
    return true;
}

bool BufferedTcpConnection::flush() {
    if (failed_ || m_socket < 0)
        return true;  // nothing more will be written
    size_t written = 0;
    if (!writeSome(backlog_.data() + offset_, backlog(), written))
        return true;
    offset_ += written;
    if (offset_ == backlog_.size()) {
        backlog_.clear();
        offset_ = 0;
        return true;
    }
    if (offset_ > (1u << 20) && offset_ * 2 > backlog_.size()) {  // keep the buffer from growing at the front
        backlog_.erase(0, offset_);
        offset_ = 0;
    }
    return false;
}

void BufferedTcpConnection::cleanup() {
    backlog_.clear();
    offset_ = 0;
    failed_ = false;
    gloox::ConnectionTCPClient::cleanup();
}

void BufferedTcpConnection::fail(const std::string& why) {
    if (failed_)
        return;
    failed_ = true;
    backlog_.clear();
    offset_ = 0;
    if (hooks_.stuck)
        hooks_.stuck(why);
}

}  // namespace sylk::xmpp
