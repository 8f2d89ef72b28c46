// The libmicrohttpd daemon that serves the web app. GET and HEAD only; one internal thread
// with epoll, which is plenty for static files on a conference server.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "static_site.hpp"

struct MHD_Daemon;
struct MHD_Connection;

namespace sylk::http {

class HttpServer {
public:
    HttpServer(StaticSite site, std::string address, uint16_t port);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Throws std::runtime_error when the address cannot be bound.
    void start();
    void stop();
    uint64_t requestsServed() const { return served_; }

private:
    static int onRequest(void* self, MHD_Connection* connection, const char* url, const char* method,
                         const char* version, const char* uploadData, size_t* uploadSize, void** state);
    int answer(MHD_Connection* connection, const char* url, const char* method);

    StaticSite site_;
    std::string address_;
    uint16_t port_;
    MHD_Daemon* daemon_ = nullptr;
    std::atomic<uint64_t> served_{0};
};

}  // namespace sylk::http
