// gloox's TCP connection to the XMPP server with writes that never block the stack thread.
// gloox's own send() loops on a blocking ::send until every byte is written: a server that stops
// reading (stuck, or swamped) would stall the stack thread, and with it every room, session and
// status request of the plugin. Here a write takes what the socket accepts now (MSG_DONTWAIT)
// and keeps the rest, in order, until the socket is writable again (the owner watches for
// G_IO_OUT and calls flush()). The backlog is bounded: past maxBacklog bytes the link is stuck
// and the owner is told (it reconnects; what was not written was never accepted by the server).
// Reading stays gloox's (recv after the loop says the socket is readable). Stack thread only.
#pragma once

#include <gloox/connectiontcpclient.h>

#include <cstddef>
#include <functional>
#include <string>

namespace sylk::xmpp {

class BufferedTcpConnection : public gloox::ConnectionTCPClient {
public:
    struct Hooks {
        std::function<void()> backlogStarted;                // bytes wait: watch for G_IO_OUT
        std::function<void(const std::string& why)> stuck;   // over the bound, or a write failed
    };

    BufferedTcpConnection(gloox::ConnectionDataHandler* handler, const gloox::LogSink& log, const std::string& host,
                          int port, size_t maxBacklog, Hooks hooks);

    // gloox's writes (stream header, handshake, stanzas): what the socket takes now, the rest kept.
    bool send(const std::string& data) override;
    // The socket is writable: writes what waits. True when nothing waits any more.
    bool flush();
    size_t backlog() const { return backlog_.size() - offset_; }
    void cleanup() override;

private:
    // Writes from data until the socket would block; false on a socket error (reported).
    bool writeSome(const char* data, size_t size, size_t& written);
    void fail(const std::string& why);

    const size_t maxBacklog_;
    Hooks hooks_;
    std::string backlog_;
    size_t offset_ = 0;  // bytes of backlog_ written already (compacted when it is drained)
    bool failed_ = false;
};

}  // namespace sylk::xmpp
