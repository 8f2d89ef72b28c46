#include "stack.hpp"

#include <glib.h>

#include <cctype>
#include <stdexcept>

#include "sylkcore/log.hpp"
#include "text.hpp"

namespace sylk::msrp {

namespace {

// RFC 4975 §14.1: session ids need 80 bits of randomness; 20 letters and digits carry ~119.
std::string randomSessionId() {
    static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::string id(20, '0');
    for (char& c : id)
        c = kAlphabet[g_random_int_range(0, sizeof kAlphabet - 1)];
    return id;
}

// "sha-256 ab:cd:..." or "AB:CD:..." as "AB:CD:...", to compare pins.
std::string normalizedFingerprint(const std::string& fingerprint) {
    std::string_view value = text::trimmed(fingerprint);
    auto space = value.find(' ');
    if (space != std::string_view::npos)
        value = text::trimmed(value.substr(space + 1));
    std::string out(value);
    for (char& c : out)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

Stack::Stack(net::StackThread& thread, StackConfig config)
    : thread_(thread),
      config_(std::move(config)),
      advertisedHost_(config_.advertisedHost.empty() ? config_.listenAddress : config_.advertisedHost) {}

Stack::~Stack() {
    stopping_ = true;
    auto sessions = sessions_;
    for (auto& [id, session] : sessions)
        session->close();
    auto connections = connections_;
    for (auto& [pointer, connection] : connections)
        connection->close("the MSRP stack stopped");
    tcpListener_.reset();
    tlsListener_.reset();
}

void Stack::start() {
    if (config_.tcp && !tcpListener_) {
        tcpListener_ = std::make_unique<net::TcpListener>(
            thread_, config_.listenAddress, config_.tcpPort, net::TlsOptions{},
            [this](std::shared_ptr<net::TcpStream> stream) { accepted(std::move(stream), false); });
    }
    if (config_.tls && !tlsListener_) {
        net::TlsOptions tls = config_.tlsOptions;
        tls.enabled = true;
        // msrps peers that connect to us prove who they are by the certificate their SDP's
        // a=fingerprint named (Session::acceptsPeerOf, when the first request binds).
        tls.requestClientCertificate = true;
        tlsListener_ = std::make_unique<net::TcpListener>(
            thread_, config_.listenAddress, config_.tlsPort, tls,
            [this](std::shared_ptr<net::TcpStream> stream) { accepted(std::move(stream), true); });
    }
}

uint16_t Stack::port(bool secure) const {
    const auto& listener = secure ? tlsListener_ : tcpListener_;
    return listener ? listener->port() : 0;
}

std::string Stack::fingerprint() const { return tlsListener_ ? tlsListener_->fingerprint() : ""; }

std::shared_ptr<Session> Stack::createSession(SessionSetup setup, SessionHandler& handler) {
    if (stopping_)
        throw std::logic_error("the MSRP stack is stopping");
    if (port(setup.secure) == 0)
        throw std::invalid_argument(setup.secure ? "no msrps listener" : "no msrp listener");
    std::string id;
    do {
        id = randomSessionId();
    } while (sessions_.count(id));
    auto session = Session::make(*this, std::move(setup), handler, id);
    sessions_.emplace(id, session);
    session->start();
    return session;
}

std::shared_ptr<Session> Stack::session(const std::string& id) const {
    auto found = sessions_.find(id);
    return found == sessions_.end() ? nullptr : found->second;
}

void Stack::connect(const Uri& hop, const std::string& fingerprint, Connected done) {
    std::string key = std::string(hop.secure ? "tls " : "tcp ") + text::lowered(hop.hostPort());
    std::shared_ptr<Connection> connection;
    const std::string pin = normalizedFingerprint(fingerprint);
    for (auto& [pointer, open] : connections_) {
        // A connection pinned to another certificate is not the peer this pin asks for.
        if (open->isOpen() && open->key() == key && (pin.empty() || open->pin_ == pin)) {
            connection = open;
            break;
        }
    }
    if (connection && connection->connected()) {
        done(connection, "");
        return;
    }
    if (!connection) {
        connection = Connection::make(*this, nullptr, hop.secure, key);
        connection->pin_ = pin;
        connections_.emplace(connection.get(), connection);
        net::TlsOptions tls;
        tls.enabled = hop.secure;
        tls.pinnedFingerprint = fingerprint;
        auto stream = net::TcpStream::connect(thread_, hop.host, hop.portOrDefault(), tls, connection->events());
        if (!connection->stream_)
            connection->stream_ = std::move(stream);
        // Closed if no session takes it (the one asking may be gone by the time it connects).
        connection->armIdleTimer();
    }
    std::weak_ptr<Connection> weak = connection;
    if (!connection->isOpen()) {
        done(nullptr, "connection failed");
        return;
    }
    connection->waiting_.push_back([weak, done](const std::string& error) {
        auto open = weak.lock();
        if (error.empty() && open)
            done(open, "");
        else
            done(nullptr, error.empty() ? "connection gone" : error);
    });
}

void Stack::accepted(std::shared_ptr<net::TcpStream> stream, bool secure) {
    auto connection = Connection::make(*this, stream, secure, "");
    connections_.emplace(connection.get(), connection);
    stream->start(connection->events());
    if (connection->isOpen())
        connection->armIdleTimer();
}

void Stack::setUsePath(std::vector<Uri> usePath) {
    usePath_ = std::move(usePath);
    if (usePath_.empty())
        return;
    // A copy: a listener may close sessions (or make new ones) while we go through them.
    auto sessions = sessions_;
    for (auto& [id, session] : sessions) {
        if (session->isOpen() && session->moveToUsePath(usePath_) && localPathListener_) {
            try {
                localPathListener_(*session);
            } catch (const std::exception& error) {
                SYLK_LOG(LOG_ERR, "msrp", "the local path listener threw: %s", error.what());
            }
        }
    }
}

void Stack::forget(Connection* connection) { connections_.erase(connection); }

void Stack::forget(Session* session) {
    auto found = sessions_.find(session->id());
    if (found != sessions_.end() && found->second.get() == session)
        sessions_.erase(found);
}

}  // namespace sylk::msrp
