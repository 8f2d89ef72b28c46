// Accepts TCP (optionally TLS) connections on a StackThread: each becomes a TcpStream handed to
// accept(), which keeps it and calls start(events) (TLS: the handshake runs first; `connected`
// says it passed). Construct, use and destroy it on the stack thread; destroying it stops
// accepting (streams already accepted go on).
#pragma once

#include <gio/gio.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "stack_thread.hpp"
#include "sylkcore/api.hpp"
#include "tcp_stream.hpp"
#include "tls_options.hpp"

namespace sylk::net {

class SYLK_API TcpListener {
public:
    using Accept = std::function<void(std::shared_ptr<TcpStream>)>;

    // address: an IP literal; port 0 picks a free one (port()). With tls.enabled,
    // tls.certificateFile and tls.keyFile are our certificate. Throws std::runtime_error (cannot
    // bind, unreadable certificate) or std::invalid_argument (not an address).
    TcpListener(StackThread& thread, const std::string& address, uint16_t port, const TlsOptions& tls, Accept accept);
    ~TcpListener();
    TcpListener(const TcpListener&) = delete;
    TcpListener& operator=(const TcpListener&) = delete;

    uint16_t port() const { return port_; }
    // Our certificate's SHA-256 fingerprint ("AB:CD:..."), what our a=fingerprint announces; ""
    // without TLS.
    std::string fingerprint() const { return TcpStream::fingerprintOf(certificate_); }

private:
    struct Alive {
        TcpListener* owner;
    };
    static void onAccept(GObject* source, GAsyncResult* result, gpointer data);
    void acceptNext();

    StackThread& thread_;
    Accept accept_;
    GSocketListener* listener_ = nullptr;
    GCancellable* cancellable_ = nullptr;
    GTlsCertificate* certificate_ = nullptr;
    bool requestClientCertificate_ = false;
    uint16_t port_ = 0;
    std::shared_ptr<Alive> alive_;
    SourceHandle retry_;  // after an accept error (out of descriptors), a pause before the next
};

}  // namespace sylk::net
