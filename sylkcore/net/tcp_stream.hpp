// A TCP connection, optionally TLS, on a StackThread's loop (GIO, non-blocking): bytes in, bytes
// out. Framing (lines, lengths, MSRP chunks) is the protocol's business.
//
// - Writes are queued and never block; past the high-water mark (queued() >= highWater())
//   belowHighWater() turns false, and `drained` fires once the queue has emptied again, so a
//   producer can stop and resume. The reader can be paused: no `received` until resumed, and
//   the kernel's buffers then push back on the peer.
// - shutdownWrite() sends FIN (TLS: close_notify) after what is queued; close() closes after
//   flushing; abort() closes at once. `failed` is reported once, and nothing after it.
// - Everything, the events included, happens on the stack thread: call it from there.
// - The owner's shared_ptr keeps the stream: dropping it aborts the stream (pending operations
//   hold no reference; their completions are ignored).
#pragma once

#include <gio/gio.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stack_thread.hpp"
#include "sylkcore/api.hpp"
#include "tls_options.hpp"

namespace sylk::net {

struct StreamEvents {
    std::function<void()> connected;  // TCP up and, with TLS, the handshake and the peer's checks passed
    std::function<void(const uint8_t* data, size_t size)> received;
    std::function<void()> drained;     // the queue, once past the high-water mark, is empty again
    std::function<void()> peerClosed;  // the peer sends no more (FIN, close_notify); writing goes on
    std::function<void()> closed;      // close() is done: everything queued was sent
    std::function<void(const std::string& why)> failed;  // once; the stream is closed with it
};

class SYLK_API TcpStream : public std::enable_shared_from_this<TcpStream> {
    struct Private {};

public:
    // Connects to host:port (a name is resolved); events.connected or events.failed follows.
    static std::shared_ptr<TcpStream> connect(StackThread& thread, const std::string& host, uint16_t port,
                                              TlsOptions tls, StreamEvents events);
    // An accepted connection (TcpListener): start() sets its events and begins the TLS handshake
    // (server side, with certificate; TlsOptions::requestClientCertificate) or reading.
    static std::shared_ptr<TcpStream> accepted(StackThread& thread, GSocketConnection* connection,
                                               GTlsCertificate* certificate, bool requestClientCertificate = false);
    TcpStream(Private, StackThread& thread, TlsOptions tls);
    ~TcpStream();
    TcpStream(const TcpStream&) = delete;
    TcpStream& operator=(const TcpStream&) = delete;

    void start(StreamEvents events);

    // Queues bytes (allowed while connecting); false once shut for writing, closed or failed.
    bool write(std::string_view bytes);
    // Queues head, then length bytes of the open file fd from offset, then tail, as one write of
    // the three would: on plain TCP the file's bytes go with sendfile(), from the page cache to
    // the socket without passing through user space (a file sent in MSRP chunks); with TLS they
    // are read (pread) and written as bytes. keep holds fd open while the range is queued. A
    // file that cannot be read, or ends before offset + length, fails the stream: the framing
    // around it (head) has gone out already. False as for write().
    bool writeFile(std::string_view head, int fd, uint64_t offset, size_t length, std::shared_ptr<const void> keep,
                   std::string_view tail);
    size_t queued() const { return queuedBytes_; }
    size_t highWater() const { return highWater_; }
    void setHighWater(size_t bytes) { highWater_ = bytes; }
    bool belowHighWater() const { return queuedBytes_ < highWater_; }

    void pauseReading();
    void resumeReading();
    bool readingPaused() const { return paused_; }

    void shutdownWrite();
    void close();
    void abort();
    bool isOpen() const { return state_ == State::Connecting || state_ == State::Open; }

    // "AB:CD:..." (SHA-256 of the DER), the form a=fingerprint carries; "" without TLS.
    std::string peerFingerprint() const;
    static std::string fingerprintOf(GTlsCertificate* certificate);
    std::string peerAddress() const;
    // For socket options (keepalive, buffer sizes); nullptr until connected.
    GSocket* socket() const { return connection_ ? g_socket_connection_get_socket(connection_) : nullptr; }

private:
    enum class State { Connecting, Open, Closing, Closed };
    // A queued write: bytes, or (fd >= 0) a file range sent with sendfile().
    struct Piece {
        std::string bytes;
        int fd = -1;
        uint64_t offset = 0;
        size_t length = 0;
        std::shared_ptr<const void> keep;
    };
    struct ReadOp;
    struct WriteOp;
    static void onConnect(GObject* source, GAsyncResult* result, gpointer data);
    static void onHandshake(GObject* source, GAsyncResult* result, gpointer data);
    static void onRead(GObject* source, GAsyncResult* result, gpointer data);
    static void onWritten(GObject* source, GAsyncResult* result, gpointer data);
    static void onShutdownWrite(GObject* source, GAsyncResult* result, gpointer data);
    static void onClosed(GObject* source, GAsyncResult* result, gpointer data);

    void connected(GSocketConnection* connection, const std::string& host, uint16_t port);
    void handshake(GIOStream* tls);
    void becomeOpen();
    void read();
    void deliver(const uint8_t* data, size_t size);
    void endOfInput();
    void flush();
    // flush() with a file range first: sendfile() until done or the socket is full (then waits
    // for it to be writable, writing_ set).
    void sendQueuedFile();
    static gboolean onWritable(GSocket* socket, GIOCondition condition, gpointer data);
    // Fails from the loop, not from inside the write() or writeFile() that met the error.
    void failLater(const std::string& why);
    void afterFlush();
    void fail(const std::string& why);
    void release();

    StackThread& thread_;
    TlsOptions tls_;
    GTlsCertificate* serverCertificate_ = nullptr;  // accepted TLS streams
    StreamEvents events_;
    State state_ = State::Connecting;
    GCancellable* cancellable_ = nullptr;
    GSocketConnection* connection_ = nullptr;
    GIOStream* stream_ = nullptr;  // connection_, or the TLS connection over it
    bool accepted_ = false;
    bool started_ = false;
    bool reading_ = false;
    bool paused_ = false;
    std::string heldInput_;  // read while paused
    // Every read goes into this one buffer (one read at a time), not a fresh zeroed 64 KiB each;
    // shared with the pending read, which may complete after the stream is gone.
    std::shared_ptr<std::vector<uint8_t>> readBuffer_;
    bool heldEnd_ = false;   // end of input seen while paused
    std::deque<Piece> queue_;
    size_t queuedBytes_ = 0;
    size_t highWater_ = 1024 * 1024;
    bool pastHighWater_ = false;
    bool writing_ = false;
    bool shutdownRequested_ = false;
    bool writeShut_ = false;
    bool closeRequested_ = false;
};

}  // namespace sylk::net
