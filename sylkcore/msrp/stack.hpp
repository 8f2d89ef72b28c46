// An MSRP stack on one net::StackThread: msrp and msrps listeners, the connection table and the
// session table (by our session id). Sessions are made at once with their local URI; an Active
// session then connects to the first hop of its remote path, reusing an open connection to the
// same host:port and transport (RFC 4975 §5.4, RFC 6135), a Passive one waits for the peer's
// first request. Construct, use and destroy it on the stack thread (callbacks come there too).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "connection.hpp"
#include "session.hpp"
#include "session_handler.hpp"
#include "session_setup.hpp"
#include "stack_config.hpp"
#include "sylkcore/api.hpp"
#include "sylkcore/net/stack_thread.hpp"
#include "sylkcore/net/tcp_listener.hpp"
#include "uri.hpp"

namespace sylk::msrp {

class SYLK_API Stack {
public:
    Stack(net::StackThread& thread, StackConfig config);
    // Closes every session (without handler calls) and connection.
    ~Stack();
    Stack(const Stack&) = delete;
    Stack& operator=(const Stack&) = delete;

    // Opens the configured listeners. Throws std::runtime_error (cannot bind, unreadable
    // certificate) or std::invalid_argument (a bad address).
    void start();
    // The listener's actual port (after start(); 0 when that listener is off).
    uint16_t port(bool secure) const;
    // Our TLS certificate's "AB:CD:..." SHA-256 fingerprint (SDP a=fingerprint), "" without TLS.
    std::string fingerprint() const;
    const std::string& advertisedHost() const { return advertisedHost_; }

    // A new session (its localUri() usable at once). The handler must outlive the session or
    // close() it first. Without a remote path yet (we make the offer) it starts with
    // Session::setRemote. Throws std::invalid_argument for a secure session without the TLS
    // listener (or a plain one without the TCP listener).
    std::shared_ptr<Session> createSession(SessionSetup setup, SessionHandler& handler);
    std::shared_ptr<Session> session(const std::string& id) const;
    size_t sessionCount() const { return sessions_.size(); }
    size_t connectionCount() const { return connections_.size(); }

    // A connection to hop (host:port, msrp or msrps), an open one reused. done runs once, with
    // the connection or with an error (then the connection is null). fingerprint: the pin for msrps.
    using Connected = std::function<void(std::shared_ptr<Connection> connection, const std::string& error)>;
    void connect(const Uri& hop, const std::string& fingerprint, Connected done);

    // A relay's Use-Path (RFC 4976; the relay client sets it after AUTH, empty when none): a
    // session made while it is set starts its localPath() with it and sends through it, and keeps
    // the one it announced (its From-Path stays what its SDP said) until a new one is set: then
    // every session announced with another Use-Path moves to the new one and the local path
    // listener hears of it, so that its owner can tell the peer (a SIP re-INVITE). A relay that
    // names a new Use-Path at each AUTH refresh (Kamailio's msrp module) forwards on the old one
    // only until that grant expires (docs/decisions.md). Clearing it (empty) moves nobody.
    void setUsePath(std::vector<Uri> usePath);
    const std::vector<Uri>& usePath() const { return usePath_; }
    using LocalPathListener = std::function<void(Session& session)>;
    void setLocalPathListener(LocalPathListener listener) { localPathListener_ = std::move(listener); }

    net::StackThread& thread() { return thread_; }
    const StackConfig& config() const { return config_; }

private:
    friend class Connection;
    friend class Session;
    void accepted(std::shared_ptr<net::TcpStream> stream, bool secure);
    void forget(Connection* connection);
    void forget(Session* session);

    net::StackThread& thread_;
    StackConfig config_;
    std::string advertisedHost_;
    std::unique_ptr<net::TcpListener> tcpListener_;
    std::unique_ptr<net::TcpListener> tlsListener_;
    std::map<Connection*, std::shared_ptr<Connection>> connections_;
    std::map<std::string, std::shared_ptr<Session>> sessions_;  // by our session id
    std::vector<Uri> usePath_;
    LocalPathListener localPathListener_;
    bool stopping_ = false;
};

}  // namespace sylk::msrp
