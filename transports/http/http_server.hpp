// The libmicrohttpd daemon of the web app: static files (GET/HEAD) and room file sharing
// (POST /files/<token>?name=..., GET /files/<token>/<id>, GET /files/<token>). One internal
// thread with epoll; uploads stream to disk, downloads stream from it. With a certificate it
// speaks https only (libmicrohttpd's own TLS, GnuTLS). GET /config.json answers with what the
// pages need to reach janus (ClientConfig), when one was given. GET /r/<room> answers with
// room.html (RoomLink).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "static_site.hpp"

struct MHD_Daemon;
struct MHD_Connection;

namespace sylk::http {

struct RequestState;

class HttpServer {
public:
    HttpServer(StaticSite site, std::string address, uint16_t port);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // PEM text of the certificate (chain) and its private key: serve https instead of http.
    // Call before start().
    void useTls(std::string certificatePem, std::string keyPem);
    // Served as GET /config.json (application/json). Call before start().
    void setClientConfig(std::string json) { clientConfig_ = std::move(json); }

    // Throws std::runtime_error when the address cannot be bound, or the certificate or key
    // is refused.
    void start();
    void stop();
    uint64_t requestsServed() const { return served_; }

private:
    friend struct Callbacks;
    int answer(MHD_Connection* connection, const char* url, const char* method, const char* uploadData,
               size_t* uploadSize, RequestState& state);
    int serveStatic(MHD_Connection* connection, const char* url);
    int serveClientConfig(MHD_Connection* connection);
    int upload(MHD_Connection* connection, const std::string& token, const char* uploadData, size_t* uploadSize,
               RequestState& state);
    int download(MHD_Connection* connection, const std::string& token, const std::string& id);
    int listFiles(MHD_Connection* connection, const std::string& token);
    // GET /messages/history/<account> with Authorization: Apikey <token> (docs/message-store.md).
    int serveHistory(MHD_Connection* connection, const std::string& account);

    StaticSite site_;
    std::string address_;
    uint16_t port_;
    // libmicrohttpd keeps pointers to these for the daemon's lifetime.
    std::string certificatePem_;
    std::string keyPem_;
    std::string clientConfig_;
    MHD_Daemon* daemon_ = nullptr;
    std::atomic<uint64_t> served_{0};
};

}  // namespace sylk::http
