#include "connection.hpp"

#include <algorithm>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "stack.hpp"
#include "sylkcore/log.hpp"

namespace sylk::msrp {

namespace {

constexpr const char* kLog = "msrp";

// TCP keepalive: the first probe after a minute idle, then every 15 s, four unanswered end it.
// MSRP has no keep-alive request (RFC 4975); this finds a peer that vanished behind a NAT or a
// crashed host while a session idles, and keeps NAT bindings fresh.
constexpr int kKeepIdleSeconds = 60;
constexpr int kKeepIntervalSeconds = 15;
constexpr int kKeepCount = 4;

}  // namespace

Connection::Connection(Private, Stack& stack, std::shared_ptr<net::TcpStream> stream, bool secure, std::string key)
    : stack_(stack),
      stream_(std::move(stream)),
      secure_(secure),
      key_(std::move(key)),
      parser_(stack.config().limits) {}

Connection::~Connection() {
    if (stream_)
        stream_->abort();
}

std::shared_ptr<Connection> Connection::make(Stack& stack, std::shared_ptr<net::TcpStream> stream, bool secure,
                                             std::string key) {
    return std::make_shared<Connection>(Private{}, stack, std::move(stream), secure, std::move(key));
}

net::StreamEvents Connection::events() {
    std::weak_ptr<Connection> weak = weak_from_this();
    return {
        .connected =
            [weak] {
                if (auto self = weak.lock())
                    self->onConnected();
            },
        .received =
            [weak](const uint8_t* data, size_t size) {
                if (auto self = weak.lock())
                    self->onReceived(data, size);
            },
        .drained =
            [weak] {
                if (auto self = weak.lock())
                    self->onDrained();
            },
        .peerClosed =
            [weak] {
                if (auto self = weak.lock())
                    self->fail("the peer closed the connection");
            },
        .closed =
            [weak] {
                if (auto self = weak.lock())
                    self->fail("connection closed");
            },
        .failed =
            [weak](const std::string& why) {
                if (auto self = weak.lock())
                    self->fail(why);
            },
    };
}

void Connection::onConnected() {
    if (!open_)
        return;
    connected_ = true;
    applyKeepalive();
    stream_->setHighWater(stack_.config().connectionHighWater);
    auto waiting = std::move(waiting_);
    waiting_.clear();
    for (auto& done : waiting) {
        if (!open_)
            break;
        done("");
    }
}

void Connection::applyKeepalive() {
    GSocket* socket = stream_ ? stream_->socket() : nullptr;
    if (!socket || !stack_.config().keepalive)
        return;
    g_socket_set_keepalive(socket, TRUE);
    g_socket_set_option(socket, IPPROTO_TCP, TCP_KEEPIDLE, kKeepIdleSeconds, nullptr);
    g_socket_set_option(socket, IPPROTO_TCP, TCP_KEEPINTVL, kKeepIntervalSeconds, nullptr);
    g_socket_set_option(socket, IPPROTO_TCP, TCP_KEEPCNT, kKeepCount, nullptr);
}

void Connection::sendWithoutDelay() {
    GSocket* socket = stream_ ? stream_->socket() : nullptr;
    if (noDelay_ || !socket)
        return;
    noDelay_ = g_socket_set_option(socket, IPPROTO_TCP, TCP_NODELAY, 1, nullptr);
}

bool Connection::sendsWithoutDelay() const {
    GSocket* socket = stream_ ? stream_->socket() : nullptr;
    gint value = 0;
    return socket && g_socket_get_option(socket, IPPROTO_TCP, TCP_NODELAY, &value, nullptr) && value != 0;
}

void Connection::onReceived(const uint8_t* data, size_t size) {
    if (!open_)
        return;  // closed: nothing more is read (the stack may be gone)
    auto self = shared_from_this();  // a session's handler may close us while we read
    std::vector<Message> frames;
    std::string framingError;
    try {
        parser_.feed(std::string_view(reinterpret_cast<const char*>(data), size), frames);
    } catch (const ParseError& error) {
        framingError = error.what();
    }
    for (auto& frame : frames) {
        if (!open_)
            return;
        if (!held_.empty())
            held_.push_back(std::move(frame));  // behind a held request, in order
        else
            handle(frame);
    }
    if (!held_.empty() && open_)
        stream_->pauseReading();
    if (!framingError.empty() && open_) {
        SYLK_LOG(LOG_WARN, kLog, "closing the MSRP connection from %s: %s", peerAddress().c_str(), framingError.c_str());
        fail("framing error: " + framingError);
    }
}

void Connection::handle(Message& frame) {
    if (frame.request)
        handleRequest(frame);
    else
        handleResponse(frame);
}

void Connection::handleResponse(const Message& response) {
    auto found = pending_.find(response.transactionId);
    if (found == pending_.end())
        return;  // late (timed out) or never asked for (Failure-Report: partial)
    ResponseCallback callback = std::move(found->second.callback);
    deadlines_.cancel(found->second.deadline);
    pending_.erase(found);
    if (callback)
        callback(&response, "");
}

void Connection::handleRequest(Message& request) {
    if (!request.malformed.empty()) {
        answer(request, 400, request.malformed);
        return;
    }
    const std::string& id = request.toPath.front().sessionId;
    auto session = stack_.session(id);
    if (!session) {
        answer(request, 481, "no such session");
        return;
    }
    if (session->connection_.get() != this) {
        // RFC 4975 §5.4 / RFC 6135: the first request of the peer binds a session that waits for
        // it, when its From-Path names the peer the SDP gave.
        if (session->bound()) {
            answer(request, 506, "session bound to another connection");
            return;
        }
        if (session->awaitsRemote() && mayHold_) {
            holdForRemote(request, *session);
            return;
        }
        if (session->setup().role != Role::Passive || !session->fromPathMatches(request.fromPath)) {
            answer(request, 481, "no such session for this sender");
            return;
        }
        if (!session->acceptsPeerOf(*this)) {
            // not the peer the SDP named: this connection goes, the session waits on for the right one
            close("the client's TLS certificate does not match the session's a=fingerprint");
            return;
        }
        session->bind(shared_from_this());
        if (!open_ || !session->isOpen())
            return;
    }
    session->receive(request);
}

void Connection::holdForRemote(Message& request, Session& session) {
    if (held_.empty()) {
        idle_.cancel();  // not idle: it waits for the session, as long as that may take
        std::weak_ptr<Connection> weak = weak_from_this();
        heldTimer_ = stack_.thread().after(stack_.config().bindTimeout, [weak] {
            if (auto self = weak.lock())
                self->releaseHeld(true);
        });
    }
    SYLK_LOG(LOG_VERB, kLog, "MSRP session %s: %s connects before its path is known, its request waits",
             session.id().c_str(), peerAddress().c_str());
    held_.push_back(std::move(request));
    session.waitingPeers_.push_back(weak_from_this());
}

void Connection::releaseHeld(bool expired) {
    if (held_.empty() || !open_)
        return;
    auto self = shared_from_this();
    heldTimer_.cancel();
    if (expired)
        mayHold_ = false;
    std::deque<Message> frames = std::move(held_);
    held_.clear();
    while (!frames.empty() && open_) {
        Message frame = std::move(frames.front());
        frames.pop_front();
        if (!held_.empty())
            held_.push_back(std::move(frame));  // held again (another session waits): in order
        else
            handle(frame);
    }
    if (open_ && held_.empty()) {
        if (sessions_.empty())
            armIdleTimer();
        stream_->resumeReading();
    }
}

void Connection::answer(const Message& request, int status, const std::string& comment) {
    // REPORTs are never answered (RFC 4975 §7.1.2); Failure-Report "no" asks for no response
    // at all and "partial" for failures only (§7.1.1).
    if (request.method == "REPORT")
        return;
    std::string failureReport = request.failureReport();
    if (failureReport == "no" || (failureReport == "partial" && status == 200))
        return;
    if (request.toPath.empty() || request.fromPath.empty()) {
        // A malformed request without usable paths: the response carries none either.
        Message response;
        response.request = false;
        response.transactionId = request.transactionId;
        response.status = status;
        response.comment = comment;
        write(response);
        return;
    }
    write(request.makeResponse(status, comment));
}

void Connection::sendRequest(Message request, ResponseCallback callback) {
    if (request.transactionId.empty())
        request.transactionId = Message::newTransactionId();
    std::string frame = request.serialize();
    sendFrame(std::move(request.transactionId), std::move(frame), std::move(callback));
}

void Connection::sendFrame(std::string transactionId, std::string frame, ResponseCallback callback, const FileBody* file) {
    if (!open_) {
        if (callback)
            callback(nullptr, "connection closed");
        return;
    }
    Pending pending;
    pending.callback = std::move(callback);
    pending.deadline = deadlines_.add(DeadlineQueue::Clock::now() + stack_.config().transactionTimeout, transactionId);
    if (!deadlineTimer_.active())
        armDeadlineTimer();
    pending_.emplace(std::move(transactionId), std::move(pending));
    writeFrame(frame, file);
}

void Connection::armDeadlineTimer() {
    auto next = deadlines_.next();
    if (!next || !open_) {
        deadlineTimer_.cancel();
        return;
    }
    auto wait = std::chrono::ceil<std::chrono::milliseconds>(*next - DeadlineQueue::Clock::now());
    std::weak_ptr<Connection> weak = weak_from_this();
    deadlineTimer_ = stack_.thread().after(std::max(wait, std::chrono::milliseconds(0)), [weak] {
        if (auto self = weak.lock())
            self->expireTransactions();
    });
}

void Connection::expireTransactions() {
    auto self = shared_from_this();  // a callback may close us
    for (auto& expired : deadlines_.expire(DeadlineQueue::Clock::now())) {
        auto found = pending_.find(expired.key);
        if (found == pending_.end() || found->second.deadline != expired.token)
            continue;
        ResponseCallback late = std::move(found->second.callback);
        pending_.erase(found);
        if (late)
            late(nullptr, "transaction timeout");
        if (!open_)
            return;
    }
    armDeadlineTimer();
}

bool Connection::write(const Message& frame) { return writeFrame(frame.serialize()); }

bool Connection::writeFrame(std::string_view frame, const FileBody* file) {
    if (!open_ || !stream_)
        return false;
    if (file) {
        sendWithoutDelay();
        return stream_->writeFile(frame.substr(0, file->at), file->fd, file->offset, file->length, file->keep,
                                  frame.substr(file->at));
    }
    return stream_->write(frame);
}

bool Connection::writable() const { return open_ && stream_ && stream_->belowHighWater(); }

std::string Connection::peerAddress() const { return stream_ && connected_ ? stream_->peerAddress() : ""; }

std::string Connection::peerFingerprint() const { return stream_ && connected_ ? stream_->peerFingerprint() : ""; }

bool Connection::keepalive() const {
    GSocket* socket = stream_ && connected_ ? stream_->socket() : nullptr;
    return socket && g_socket_get_keepalive(socket);
}

void Connection::keepOpen(bool keep) {
    keep_ = keep;
    if (keep)
        idle_.cancel();
    else if (sessions_.empty())
        armIdleTimer();
}

void Connection::onDrained() {
    if (!open_)
        return;
    auto self = shared_from_this();
    // Copied: a session's handler may close sessions while it is told.
    std::vector<std::weak_ptr<Session>> sessions;
    for (Session* session : sessions_)
        sessions.push_back(session->weak_from_this());
    for (auto& weak : sessions) {
        if (!open_)
            return;
        if (auto session = weak.lock())
            session->pump();
    }
}

void Connection::attach(Session* session) {
    sessions_.insert(session);
    idle_.cancel();
}

void Connection::detach(Session* session) {
    sessions_.erase(session);
    if (sessions_.empty() && open_)
        armIdleTimer();
}

void Connection::armIdleTimer() {
    if (keep_)
        return;
    std::weak_ptr<Connection> weak = weak_from_this();
    idle_ = stack_.thread().after(stack_.config().bindTimeout, [weak] {
        if (auto self = weak.lock()) {
            if (self->sessions_.empty() && !self->keep_)
                self->fail("idle: no session uses the connection");
        }
    });
}

void Connection::close(const std::string& why) { fail(why); }

void Connection::fail(const std::string& why) {
    if (!open_)
        return;
    open_ = false;
    auto self = shared_from_this();
    idle_.cancel();
    heldTimer_.cancel();
    held_.clear();
    auto pending = std::move(pending_);
    pending_.clear();
    auto waiting = std::move(waiting_);
    waiting_.clear();
    for (auto& done : waiting)
        done(why);
    deadlineTimer_.cancel();
    deadlines_ = DeadlineQueue();
    for (auto& [tid, transaction] : pending) {
        if (transaction.callback)
            transaction.callback(nullptr, why);
    }
    std::vector<std::weak_ptr<Session>> sessions;
    for (Session* session : sessions_)
        sessions.push_back(session->weak_from_this());
    sessions_.clear();
    for (auto& weak : sessions) {
        if (auto session = weak.lock())
            session->connectionLost(why);
    }
    if (stream_)
        stream_->abort();
    // The stream may be the one calling us: it is released after this callback returns.
    stack_.forget(this);
    stack_.thread().post([self] {});
}

}  // namespace sylk::msrp
