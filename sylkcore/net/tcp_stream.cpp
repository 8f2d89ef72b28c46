#include "tcp_stream.hpp"

#include <pthread.h>
#include <signal.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

namespace sylk::net {
namespace {

constexpr size_t kReadSize = 64 * 1024;
constexpr size_t kCoalesce = 64 * 1024;  // small queued writes go out together up to this

// The error's message; frees the error.
std::string message(GError* error) {
    std::string text = error ? error->message : "unknown error";
    g_clear_error(&error);
    return text;
}

bool cancelled(GError* error) { return error && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED); }

// "sha-256 ab:cd:..." or "AB:CD:..." -> "AB:CD:..."
std::string normalizedPin(const std::string& pin) {
    std::string text = pin;
    std::string lower(text.size(), ' ');
    std::transform(text.begin(), text.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower.rfind("sha-256", 0) == 0)
        text = text.substr(7);
    std::string out;
    for (unsigned char c : text) {
        if (!std::isspace(c))
            out += static_cast<char>(std::toupper(c));
    }
    return out;
}

std::string describe(GTlsCertificateFlags errors, const std::string& name) {
    std::string why;
    auto add = [&](const std::string& what) { why += (why.empty() ? "" : ", ") + what; };
    if (errors & G_TLS_CERTIFICATE_UNKNOWN_CA)
        add("not signed by a trusted CA");
    if (errors & G_TLS_CERTIFICATE_BAD_IDENTITY)
        add("does not name " + name);
    if (errors & G_TLS_CERTIFICATE_NOT_ACTIVATED)
        add("not yet valid");
    if (errors & G_TLS_CERTIFICATE_EXPIRED)
        add("expired");
    if (errors & G_TLS_CERTIFICATE_REVOKED)
        add("revoked");
    if (errors & G_TLS_CERTIFICATE_INSECURE)
        add("insecure");
    if (errors & G_TLS_CERTIFICATE_GENERIC_ERROR)
        add("invalid");
    return why;
}

// What the TLS handshake callbacks need, owned by the stream (no reference to it).
struct PeerCheck {
    std::string pin;   // normalized; empty: CA and name decide
    bool anyCertificate = false;  // a server that asked for a client certificate: its owner checks it
    std::string name;  // the name expected, for messages
    std::string refusal;
};

gboolean acceptCertificate(GTlsConnection*, GTlsCertificate* peer, GTlsCertificateFlags errors, gpointer data) {
    auto* check = static_cast<PeerCheck*>(data);
    if (check->anyCertificate)
        return TRUE;  // no CA vouches for an MSRP client: its owner compares peerFingerprint()
    if (!check->pin.empty() && TcpStream::fingerprintOf(peer) == check->pin)
        return TRUE;  // the pin is the identity (a=fingerprint); CA and name do not matter
    check->refusal = check->pin.empty() ? "the peer's certificate is " + describe(errors, check->name)
                                        : "the peer's certificate does not match the pinned fingerprint";
    return FALSE;
}

void freeCheck(gpointer data, GClosure*) { delete static_cast<PeerCheck*>(data); }

// sendfile() has no MSG_NOSIGNAL (GSocket's sends have it): writing to a peer that is gone would
// raise SIGPIPE, which ends the process unless it is ignored. So SIGPIPE is blocked on this
// thread around the call, and one it raised is taken off the thread before unblocking.
ssize_t sendFileQuietly(int socket, int file, off_t* offset, size_t count) {
    sigset_t pipe;
    sigset_t old;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, &old);
    ssize_t sent = sendfile(socket, file, offset, count);
    int error = errno;
    if (sent < 0 && error == EPIPE && sigismember(&old, SIGPIPE) != 1) {  // else it was blocked already: left as it was
        struct timespec none {};
        sigtimedwait(&pipe, nullptr, &none);
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    errno = error;
    return sent;
}

}  // namespace

struct TcpStream::ReadOp {
    std::weak_ptr<TcpStream> stream;
    std::shared_ptr<std::vector<uint8_t>> buffer;
};

struct TcpStream::WriteOp {
    std::weak_ptr<TcpStream> stream;
    std::string bytes;  // owned here while GIO writes them
};

namespace {
struct ConnectOp {
    std::weak_ptr<TcpStream> stream;
    std::string host;
    uint16_t port;
};
}  // namespace

TcpStream::TcpStream(Private, StackThread& thread, TlsOptions tls)
    : thread_(thread), tls_(std::move(tls)), cancellable_(g_cancellable_new()) {}

TcpStream::~TcpStream() {
    g_cancellable_cancel(cancellable_);
    if (state_ != State::Closed && connection_)
        g_socket_close(g_socket_connection_get_socket(connection_), nullptr);
    if (stream_) {
        g_object_unref(stream_);  // the PeerCheck goes with the TLS connection's handler
    }
    if (connection_)
        g_object_unref(connection_);
    if (serverCertificate_)
        g_object_unref(serverCertificate_);
    g_object_unref(cancellable_);
}

std::shared_ptr<TcpStream> TcpStream::connect(StackThread& thread, const std::string& host, uint16_t port, TlsOptions tls,
                                              StreamEvents events) {
    auto stream = std::make_shared<TcpStream>(Private{}, thread, std::move(tls));
    stream->events_ = std::move(events);
    stream->started_ = true;
    GSocketClient* client = g_socket_client_new();
    g_socket_client_set_enable_proxy(client, FALSE);  // a server's peers: no desktop proxy settings
    g_socket_client_connect_to_host_async(client, host.c_str(), port, stream->cancellable_, &TcpStream::onConnect,
                                          new ConnectOp{stream, host, port});
    g_object_unref(client);  // the operation keeps it
    return stream;
}

std::shared_ptr<TcpStream> TcpStream::accepted(StackThread& thread, GSocketConnection* connection, GTlsCertificate* certificate,
                                               bool requestClientCertificate) {
    TlsOptions tls;
    tls.enabled = certificate != nullptr;
    tls.requestClientCertificate = requestClientCertificate;
    auto stream = std::make_shared<TcpStream>(Private{}, thread, std::move(tls));
    stream->accepted_ = true;
    stream->connection_ = G_SOCKET_CONNECTION(g_object_ref(connection));
    stream->stream_ = G_IO_STREAM(g_object_ref(connection));
    if (certificate)
        stream->serverCertificate_ = G_TLS_CERTIFICATE(g_object_ref(certificate));
    return stream;
}

void TcpStream::start(StreamEvents events) {
    if (started_)
        return;
    started_ = true;
    events_ = std::move(events);
    if (!tls_.enabled) {
        becomeOpen();
        return;
    }
    GError* error = nullptr;
    GIOStream* tls = g_tls_server_connection_new(stream_, serverCertificate_, &error);
    if (!tls) {
        fail("TLS is not available (GIO's TLS needs glib-networking): " + message(error));
        return;
    }
    handshake(tls);
}

void TcpStream::onConnect(GObject* source, GAsyncResult* result, gpointer data) {
    std::unique_ptr<ConnectOp> op(static_cast<ConnectOp*>(data));
    GError* error = nullptr;
    GSocketConnection* connection = g_socket_client_connect_to_host_finish(G_SOCKET_CLIENT(source), result, &error);
    auto self = op->stream.lock();
    if (!self || cancelled(error)) {
        g_clear_error(&error);
        if (connection)
            g_object_unref(connection);
        return;
    }
    if (!connection) {
        self->fail("cannot connect to " + op->host + ":" + std::to_string(op->port) + ": " + message(error));
        return;
    }
    self->connected(connection, op->host, op->port);
}

void TcpStream::connected(GSocketConnection* connection, const std::string& host, uint16_t port) {
    connection_ = connection;  // the reference the connect gave us
    stream_ = G_IO_STREAM(g_object_ref(connection));
    if (state_ != State::Connecting)
        return;
    if (!tls_.enabled) {
        becomeOpen();
        return;
    }
    std::string name = tls_.serverName.empty() ? host : tls_.serverName;
    GSocketConnectable* identity = g_network_address_new(name.c_str(), port);
    GError* error = nullptr;
    GIOStream* tls = g_tls_client_connection_new(stream_, identity, &error);
    g_object_unref(identity);
    if (!tls) {
        fail("TLS is not available (GIO's TLS needs glib-networking): " + message(error));
        return;
    }
    if (!tls_.caFile.empty()) {
        GTlsDatabase* database = g_tls_file_database_new(tls_.caFile.c_str(), &error);
        if (!database) {
            g_object_unref(tls);
            fail("CA file " + tls_.caFile + ": " + message(error));
            return;
        }
        g_tls_connection_set_database(G_TLS_CONNECTION(tls), database);
        g_object_unref(database);
    }
    handshake(tls);
}

void TcpStream::handshake(GIOStream* tls) {
    auto* check = new PeerCheck{normalizedPin(tls_.pinnedFingerprint), accepted_ && tls_.requestClientCertificate,
                                tls_.serverName, ""};
    if (check->anyCertificate)
        g_object_set(tls, "authentication-mode", G_TLS_AUTHENTICATION_REQUESTED, nullptr);
    if (check->name.empty())
        check->name = "the host";
    g_signal_connect_data(tls, "accept-certificate", G_CALLBACK(acceptCertificate), check, freeCheck, GConnectFlags(0));
    g_object_set_data(G_OBJECT(tls), "sylk-peer-check", check);  // read back after the handshake
    g_object_unref(stream_);
    stream_ = tls;
    g_tls_connection_handshake_async(G_TLS_CONNECTION(tls), G_PRIORITY_DEFAULT, cancellable_, &TcpStream::onHandshake,
                                     new std::weak_ptr<TcpStream>(weak_from_this()));
}

void TcpStream::onHandshake(GObject* source, GAsyncResult* result, gpointer data) {
    std::unique_ptr<std::weak_ptr<TcpStream>> weak(static_cast<std::weak_ptr<TcpStream>*>(data));
    GError* error = nullptr;
    gboolean done = g_tls_connection_handshake_finish(G_TLS_CONNECTION(source), result, &error);
    auto self = weak->lock();
    if (!self || cancelled(error)) {
        g_clear_error(&error);
        return;
    }
    auto* check = static_cast<PeerCheck*>(g_object_get_data(source, "sylk-peer-check"));
    if (!done) {
        std::string why = message(error);  // frees error
        if (check && !check->refusal.empty())
            why = check->refusal;  // says more than "Unacceptable TLS certificate"
        self->fail("TLS handshake failed: " + why);
        return;
    }
    // A certificate that passed the CA and name checks must still carry the pin, when one is set.
    if (check && !check->pin.empty() && self->peerFingerprint() != check->pin) {
        self->fail("TLS handshake failed: the peer's certificate does not match the pinned fingerprint");
        return;
    }
    self->becomeOpen();
}

void TcpStream::becomeOpen() {
    if (state_ != State::Connecting)
        return;
    state_ = State::Open;
    if (events_.connected)
        events_.connected();
    if (state_ != State::Open)
        return;
    read();
    flush();
}

void TcpStream::read() {
    if (reading_ || paused_ || state_ != State::Open)
        return;
    reading_ = true;
    if (!readBuffer_ || readBuffer_.use_count() > 1)  // still held: a read started while one is delivered
        readBuffer_ = std::make_shared<std::vector<uint8_t>>(kReadSize);
    auto* op = new ReadOp{weak_from_this(), readBuffer_};
    g_input_stream_read_async(g_io_stream_get_input_stream(stream_), op->buffer->data(), op->buffer->size(),
                              G_PRIORITY_DEFAULT, cancellable_, &TcpStream::onRead, op);
}

void TcpStream::onRead(GObject* source, GAsyncResult* result, gpointer data) {
    std::unique_ptr<ReadOp> op(static_cast<ReadOp*>(data));
    GError* error = nullptr;
    gssize got = g_input_stream_read_finish(G_INPUT_STREAM(source), result, &error);
    auto self = op->stream.lock();
    if (!self || cancelled(error)) {
        g_clear_error(&error);
        return;
    }
    self->reading_ = false;
    if (got < 0) {
        self->fail("receive failed: " + message(error));
        return;
    }
    if (self->state_ != State::Open)
        return;
    if (got == 0) {
        if (self->paused_)
            self->heldEnd_ = true;
        else
            self->endOfInput();
        return;
    }
    if (self->paused_) {
        self->heldInput_.append(reinterpret_cast<const char*>(op->buffer->data()), static_cast<size_t>(got));
        return;
    }
    self->deliver(op->buffer->data(), static_cast<size_t>(got));
    op->buffer.reset();  // free for the next read
    self->read();
}

void TcpStream::deliver(const uint8_t* data, size_t size) {
    if (state_ == State::Open && events_.received)
        events_.received(data, size);
}

void TcpStream::endOfInput() {
    if (events_.peerClosed)
        events_.peerClosed();
}

void TcpStream::pauseReading() { paused_ = true; }

void TcpStream::resumeReading() {
    if (!paused_)
        return;
    paused_ = false;
    if (!heldInput_.empty()) {
        std::string held;
        held.swap(heldInput_);
        deliver(reinterpret_cast<const uint8_t*>(held.data()), held.size());
    }
    if (paused_ || state_ != State::Open)
        return;
    if (heldEnd_) {
        heldEnd_ = false;
        endOfInput();
        return;
    }
    read();
}

bool TcpStream::write(std::string_view bytes) {
    if ((state_ != State::Connecting && state_ != State::Open) || shutdownRequested_ || closeRequested_)
        return false;
    if (bytes.empty())
        return true;
    if (!writing_ && queue_.empty() && state_ == State::Open && !G_IS_TLS_CONNECTION(stream_)) {
        // Nothing waits before these bytes: the socket takes them now, without the copy, the
        // GTask and the idle dispatch of an asynchronous write (a switch writes one frame per
        // recipient). What it does not take, or an error, goes the asynchronous way below,
        // which reports failures from the loop, never from inside write().
        GOutputStream* out = g_io_stream_get_output_stream(stream_);
        if (G_IS_POLLABLE_OUTPUT_STREAM(out) && g_pollable_output_stream_can_poll(G_POLLABLE_OUTPUT_STREAM(out))) {
            gssize sent = g_pollable_output_stream_write_nonblocking(G_POLLABLE_OUTPUT_STREAM(out), bytes.data(),
                                                                     bytes.size(), nullptr, nullptr);
            if (sent > 0)
                bytes.remove_prefix(static_cast<size_t>(sent));
            if (bytes.empty())
                return true;
        }
    }
    queue_.push_back(Piece{std::string(bytes)});
    queuedBytes_ += bytes.size();
    if (queuedBytes_ >= highWater_)
        pastHighWater_ = true;
    flush();
    return true;
}

bool TcpStream::writeFile(std::string_view head, int fd, uint64_t offset, size_t length, std::shared_ptr<const void> keep,
                          std::string_view tail) {
    if ((state_ != State::Connecting && state_ != State::Open) || shutdownRequested_ || closeRequested_)
        return false;
    if (tls_.enabled) {
        // TLS encrypts in user space anyway: read the range and write it as bytes.
        std::string bytes;
        bytes.reserve(head.size() + length + tail.size());
        bytes.append(head);
        size_t at = bytes.size();
        bytes.resize(at + length);
        size_t got = 0;
        while (got < length) {
            ssize_t n = pread(fd, bytes.data() + at + got, length - got, static_cast<off_t>(offset + got));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                failLater(n == 0 ? "the file being sent ended early" : "cannot read the file being sent: " +
                                                                           std::string(strerror(errno)));
                return true;
            }
            got += static_cast<size_t>(n);
        }
        bytes.append(tail);
        return write(bytes);
    }
    if (!write(head))
        return false;
    if (length > 0) {
        queue_.push_back(Piece{std::string(), fd, offset, length, std::move(keep)});
        queuedBytes_ += length;
        if (queuedBytes_ >= highWater_)
            pastHighWater_ = true;
        flush();  // sends at once when nothing waits before it
    }
    return write(tail);
}

void TcpStream::flush() {
    if (writing_ || state_ != State::Open)
        return;
    if (queue_.empty()) {
        afterFlush();
        return;
    }
    if (queue_.front().fd >= 0) {
        sendQueuedFile();
        return;
    }
    auto* op = new WriteOp{weak_from_this(), std::move(queue_.front().bytes)};
    queue_.pop_front();
    while (!queue_.empty() && queue_.front().fd < 0 && op->bytes.size() + queue_.front().bytes.size() <= kCoalesce) {
        op->bytes += queue_.front().bytes;
        queue_.pop_front();
    }
    writing_ = true;
    g_output_stream_write_async(g_io_stream_get_output_stream(stream_), op->bytes.data(), op->bytes.size(),
                                G_PRIORITY_DEFAULT, cancellable_, &TcpStream::onWritten, op);
}

void TcpStream::onWritten(GObject* source, GAsyncResult* result, gpointer data) {
    std::unique_ptr<WriteOp> op(static_cast<WriteOp*>(data));
    GError* error = nullptr;
    gssize sent = g_output_stream_write_finish(G_OUTPUT_STREAM(source), result, &error);
    auto self = op->stream.lock();
    if (!self || cancelled(error)) {
        g_clear_error(&error);
        return;
    }
    self->writing_ = false;
    if (sent < 0) {
        self->fail("send failed: " + message(error));
        return;
    }
    self->queuedBytes_ -= static_cast<size_t>(sent);
    if (static_cast<size_t>(sent) < op->bytes.size())
        self->queue_.push_front(Piece{op->bytes.substr(static_cast<size_t>(sent))});
    self->flush();
}

void TcpStream::sendQueuedFile() {
    Piece& piece = queue_.front();
    int socketFd = g_socket_get_fd(g_socket_connection_get_socket(connection_));
    while (piece.length > 0) {
        off_t offset = static_cast<off_t>(piece.offset);
        ssize_t sent = sendFileQuietly(socketFd, piece.fd, &offset, piece.length);
        if (sent > 0) {
            piece.offset += static_cast<uint64_t>(sent);
            piece.length -= static_cast<size_t>(sent);
            queuedBytes_ -= static_cast<size_t>(sent);
            continue;
        }
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            // The socket is full: on once it is writable (GSocket's source, on this thread's loop).
            writing_ = true;
            GSource* source = g_socket_create_source(g_socket_connection_get_socket(connection_), G_IO_OUT, cancellable_);
            g_source_set_callback(source, G_SOURCE_FUNC(&TcpStream::onWritable), new std::weak_ptr<TcpStream>(weak_from_this()),
                                  [](gpointer data) { delete static_cast<std::weak_ptr<TcpStream>*>(data); });
            g_source_attach(source, thread_.context());
            g_source_unref(source);
            return;
        }
        writing_ = true;  // nothing more goes out; the failure comes from the loop
        failLater(sent == 0 ? "the file being sent ended early" : "sendfile failed: " + std::string(strerror(errno)));
        return;
    }
    queue_.pop_front();
    flush();
}

gboolean TcpStream::onWritable(GSocket*, GIOCondition, gpointer data) {
    auto self = static_cast<std::weak_ptr<TcpStream>*>(data)->lock();
    if (!self || g_cancellable_is_cancelled(self->cancellable_))
        return G_SOURCE_REMOVE;
    self->writing_ = false;
    self->flush();  // a hung-up peer: sendfile() says so (EPIPE, ECONNRESET)
    return G_SOURCE_REMOVE;
}

void TcpStream::failLater(const std::string& why) {
    std::weak_ptr<TcpStream> weak = weak_from_this();
    thread_.post([weak, why] {
        if (auto self = weak.lock())
            self->fail(why);
    });
}

void TcpStream::afterFlush() {
    // The queue is empty and nothing is being written.
    if (pastHighWater_) {
        pastHighWater_ = false;
        if (events_.drained)
            events_.drained();
        if (state_ != State::Open || writing_ || !queue_.empty())
            return;
    }
    if (shutdownRequested_ && !writeShut_) {
        writeShut_ = true;
        if (G_IS_TLS_CONNECTION(stream_)) {
            // Closing a TLS connection's output sends close_notify and leaves reading open.
            g_output_stream_close_async(g_io_stream_get_output_stream(stream_), G_PRIORITY_DEFAULT, nullptr,
                                        &TcpStream::onShutdownWrite, new std::weak_ptr<TcpStream>(weak_from_this()));
        } else {
            GError* error = nullptr;
            if (!g_socket_shutdown(g_socket_connection_get_socket(connection_), FALSE, TRUE, &error)) {
                fail("shutdown failed: " + message(error));
                return;
            }
        }
    }
    if (closeRequested_ && state_ == State::Open) {
        state_ = State::Closing;
        g_cancellable_cancel(cancellable_);  // the read in progress, if any
        g_io_stream_close_async(stream_, G_PRIORITY_DEFAULT, nullptr, &TcpStream::onClosed,
                                new std::weak_ptr<TcpStream>(weak_from_this()));
    }
}

void TcpStream::onShutdownWrite(GObject* source, GAsyncResult* result, gpointer data) {
    std::unique_ptr<std::weak_ptr<TcpStream>> weak(static_cast<std::weak_ptr<TcpStream>*>(data));
    GError* error = nullptr;
    bool done = g_output_stream_close_finish(G_OUTPUT_STREAM(source), result, &error);
    auto self = weak->lock();
    if (!self || done || cancelled(error)) {
        g_clear_error(&error);
        return;
    }
    self->fail("shutdown failed: " + message(error));
}

void TcpStream::onClosed(GObject* source, GAsyncResult* result, gpointer data) {
    std::unique_ptr<std::weak_ptr<TcpStream>> weak(static_cast<std::weak_ptr<TcpStream>*>(data));
    GError* error = nullptr;
    g_io_stream_close_finish(G_IO_STREAM(source), result, &error);
    g_clear_error(&error);  // the socket is closed either way; what was queued had been sent
    auto self = weak->lock();
    if (!self || self->state_ != State::Closing)
        return;
    self->state_ = State::Closed;
    if (self->events_.closed)
        self->events_.closed();
}

void TcpStream::shutdownWrite() {
    if (!isOpen() || shutdownRequested_)
        return;
    shutdownRequested_ = true;
    flush();
}

void TcpStream::close() {
    if (!isOpen() || closeRequested_)
        return;
    closeRequested_ = true;
    flush();
}

void TcpStream::release() {
    g_cancellable_cancel(cancellable_);
    if (connection_)
        g_socket_close(g_socket_connection_get_socket(connection_), nullptr);
    queue_.clear();
    queuedBytes_ = 0;
}

void TcpStream::abort() {
    if (state_ == State::Closed)
        return;
    state_ = State::Closed;
    release();
}

void TcpStream::fail(const std::string& why) {
    if (state_ == State::Closed)
        return;  // reported once
    state_ = State::Closed;
    release();
    if (events_.failed)
        events_.failed(why);  // last: the owner may drop the stream here
}

std::string TcpStream::fingerprintOf(GTlsCertificate* certificate) {
    if (!certificate)
        return "";
    GByteArray* der = nullptr;
    g_object_get(certificate, "certificate", &der, nullptr);
    if (!der)
        return "";
    guint8 digest[32];
    gsize length = sizeof digest;
    GChecksum* checksum = g_checksum_new(G_CHECKSUM_SHA256);
    g_checksum_update(checksum, der->data, der->len);
    g_checksum_get_digest(checksum, digest, &length);
    g_checksum_free(checksum);
    g_byte_array_unref(der);
    static const char hex[] = "0123456789ABCDEF";
    std::string text;
    for (gsize i = 0; i < length; ++i) {
        if (i)
            text += ':';
        text += hex[digest[i] >> 4];
        text += hex[digest[i] & 15];
    }
    return text;
}

std::string TcpStream::peerFingerprint() const {
    if (!stream_ || !G_IS_TLS_CONNECTION(stream_))
        return "";
    return fingerprintOf(g_tls_connection_get_peer_certificate(G_TLS_CONNECTION(stream_)));
}

std::string TcpStream::peerAddress() const {
    if (!connection_)
        return "";
    GSocketAddress* address = g_socket_connection_get_remote_address(connection_, nullptr);
    if (!address)
        return "";
    gchar* ip = g_inet_address_to_string(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(address)));
    std::string text = ip;
    if (text.find(':') != std::string::npos)
        text = "[" + text + "]";
    text += ":" + std::to_string(g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(address)));
    g_free(ip);
    g_object_unref(address);
    return text;
}

}  // namespace sylk::net
