#include "tcp_listener.hpp"

#include <stdexcept>
#include <utility>

#include "sylkcore/log.hpp"

namespace sylk::net {

TcpListener::TcpListener(StackThread& thread, const std::string& address, uint16_t port, const TlsOptions& tls,
                         Accept accept)
    : thread_(thread),
      accept_(std::move(accept)),
      requestClientCertificate_(tls.enabled && tls.requestClientCertificate),
      alive_(std::make_shared<Alive>(Alive{this})) {
    GError* error = nullptr;
    if (tls.enabled) {
        certificate_ = g_tls_certificate_new_from_files(tls.certificateFile.c_str(), tls.keyFile.c_str(), &error);
        if (!certificate_) {
            std::string why = error ? error->message : "unreadable";
            g_clear_error(&error);
            throw std::runtime_error("TLS certificate " + tls.certificateFile + ": " + why);
        }
    }
    GInetAddress* ip = g_inet_address_new_from_string(address.c_str());
    if (!ip) {
        if (certificate_)
            g_object_unref(certificate_);
        throw std::invalid_argument("not an IP address: " + address);
    }
    GSocketAddress* where = g_inet_socket_address_new(ip, port);
    g_object_unref(ip);
    listener_ = g_socket_listener_new();
    GSocketAddress* bound = nullptr;
    bool listening = g_socket_listener_add_address(listener_, where, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, nullptr,
                                                   &bound, &error);
    g_object_unref(where);
    if (!listening) {
        std::string why = error ? error->message : "cannot bind";
        g_clear_error(&error);
        g_object_unref(listener_);
        if (certificate_)
            g_object_unref(certificate_);
        throw std::runtime_error("cannot listen on " + address + ":" + std::to_string(port) + ": " + why);
    }
    port_ = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
    g_object_unref(bound);
    cancellable_ = g_cancellable_new();
    acceptNext();
}

TcpListener::~TcpListener() {
    alive_->owner = nullptr;
    retry_.cancel();
    g_cancellable_cancel(cancellable_);
    g_socket_listener_close(listener_);
    g_object_unref(listener_);
    g_object_unref(cancellable_);
    if (certificate_)
        g_object_unref(certificate_);
}

void TcpListener::acceptNext() {
    g_socket_listener_accept_async(listener_, cancellable_, &TcpListener::onAccept, new std::shared_ptr<Alive>(alive_));
}

void TcpListener::onAccept(GObject* source, GAsyncResult* result, gpointer data) {
    std::unique_ptr<std::shared_ptr<Alive>> alive(static_cast<std::shared_ptr<Alive>*>(data));
    GError* error = nullptr;
    GSocketConnection* connection = g_socket_listener_accept_finish(G_SOCKET_LISTENER(source), result, nullptr, &error);
    TcpListener* self = (*alive)->owner;
    if (!self) {
        g_clear_error(&error);
        if (connection)
            g_object_unref(connection);
        return;
    }
    if (!connection) {
        SYLK_LOG(LOG_WARN, "net", "accept on port %u failed: %s", self->port_, error ? error->message : "?");
        g_clear_error(&error);
        self->retry_ = self->thread_.after(std::chrono::milliseconds(100), [self] { self->acceptNext(); });
        return;
    }
    auto stream = TcpStream::accepted(self->thread_, connection, self->certificate_, self->requestClientCertificate_);
    g_object_unref(connection);
    self->accept_(std::move(stream));
    if ((*alive)->owner)  // accept() may have destroyed the listener
        self->acceptNext();
}

}  // namespace sylk::net
