// Helpers of the SIP stack unit tests: a free port, and an OPTIONS probe over UDP.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>

// A free UDP port on 127.0.0.1 (Sofia binds UDP and TCP on it; TCP is checked by start()).
inline uint16_t freePort() {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    close(fd);
    return ntohs(address.sin_port);
}

// Sends an OPTIONS over UDP and returns the status line of the answer ("" if none in 5 s).
inline std::string options(uint16_t port) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local);
    socklen_t length = sizeof local;
    getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length);
    std::string me = "127.0.0.1:" + std::to_string(ntohs(local.sin_port));
    std::string request = "OPTIONS sip:127.0.0.1:" + std::to_string(port) + " SIP/2.0\r\n"
                          "Via: SIP/2.0/UDP " + me + ";branch=z9hG4bK-stack-test\r\n"
                          "Max-Forwards: 70\r\n"
                          "From: <sip:probe@" + me + ">;tag=probe\r\n"
                          "To: <sip:127.0.0.1:" + std::to_string(port) + ">\r\n"
                          "Call-ID: stack-test@" + me + "\r\n"
                          "CSeq: 1 OPTIONS\r\n"
                          "Content-Length: 0\r\n\r\n";
    sockaddr_in target{};
    target.sin_family = AF_INET;
    target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    target.sin_port = htons(port);
    sendto(fd, request.data(), request.size(), 0, reinterpret_cast<sockaddr*>(&target), sizeof target);
    pollfd ready{fd, POLLIN, 0};
    std::string status;
    if (poll(&ready, 1, 5000) == 1) {
        char buffer[4096];
        ssize_t got = recv(fd, buffer, sizeof buffer - 1, 0);
        if (got > 0)
            status.assign(buffer, static_cast<size_t>(got));
        status = status.substr(0, status.find("\r\n"));
    }
    close(fd);
    return status;
}
