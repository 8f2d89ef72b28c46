#include "http_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace sylk::http {
namespace {

MHD_Result sendText(MHD_Connection* connection, unsigned status, const char* text) {
    MHD_Response* response = MHD_create_response_from_buffer(strlen(text), const_cast<char*>(text), MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(response, "Content-Type", "text/plain; charset=utf-8");
    MHD_Result result = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return result;
}

}  // namespace

HttpServer::HttpServer(StaticSite site, std::string address, uint16_t port)
    : site_(std::move(site)), address_(std::move(address)), port_(port) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
    sockaddr_in6 v6{};
    sockaddr_in v4{};
    const sockaddr* bindAddress = nullptr;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
    if (inet_pton(AF_INET, address_.c_str(), &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons(port_);
        bindAddress = reinterpret_cast<const sockaddr*>(&v4);
    } else if (inet_pton(AF_INET6, address_.c_str(), &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons(port_);
        bindAddress = reinterpret_cast<const sockaddr*>(&v6);
        flags |= MHD_USE_IPv6;
    } else {
        throw std::runtime_error("http: '" + address_ + "' is not an IPv4 or IPv6 address");
    }
    daemon_ = MHD_start_daemon(flags, port_, nullptr, nullptr,
                               reinterpret_cast<MHD_AccessHandlerCallback>(&HttpServer::onRequest), this,
                               MHD_OPTION_SOCK_ADDR, bindAddress,
                               MHD_OPTION_CONNECTION_LIMIT, 256u,
                               MHD_OPTION_CONNECTION_TIMEOUT, 30u,
                               MHD_OPTION_END);
    if (!daemon_)
        throw std::runtime_error("http: cannot listen on " + address_ + ":" + std::to_string(port_));
}

void HttpServer::stop() {
    if (daemon_) {
        MHD_stop_daemon(daemon_);
        daemon_ = nullptr;
    }
}

int HttpServer::onRequest(void* self, MHD_Connection* connection, const char* url, const char* method, const char*,
                          const char*, size_t* uploadSize, void** state) {
    // First call per request only announces the headers; answer on the second.
    if (*state == nullptr) {
        *state = self;
        return MHD_YES;
    }
    if (*uploadSize != 0) {
        *uploadSize = 0;  // static site: request bodies are discarded
        return MHD_YES;
    }
    try {
        return static_cast<HttpServer*>(self)->answer(connection, url, method);
    } catch (...) {
        return sendText(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error\n");
    }
}

int HttpServer::answer(MHD_Connection* connection, const char* url, const char* method) {
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return sendText(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD are served here\n");
    auto path = site_.resolve(url ? url : "");
    if (!path)
        return sendText(connection, MHD_HTTP_NOT_FOUND, "not found\n");
    int fd = open(path->c_str(), O_RDONLY | O_CLOEXEC);
    struct stat info;
    if (fd < 0 || fstat(fd, &info) != 0) {
        if (fd >= 0)
            close(fd);
        return sendText(connection, MHD_HTTP_NOT_FOUND, "not found\n");
    }
    // The response owns fd from here on.
    MHD_Response* response = MHD_create_response_from_fd(static_cast<size_t>(info.st_size), fd);
    MHD_add_response_header(response, "Content-Type", std::string(StaticSite::contentType(*path)).c_str());
    MHD_add_response_header(response, "Cache-Control", "no-cache");
    MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
    MHD_Result result = MHD_queue_response(connection, MHD_HTTP_OK, response);
    MHD_destroy_response(response);
    ++served_;
    return result;
}

}  // namespace sylk::http
