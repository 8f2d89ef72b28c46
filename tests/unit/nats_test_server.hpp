// A real nats-server for the unit tests of sylkcore/cluster (leases, node registry, the hub
// bridge): they test against the engine a cluster runs, not a stand-in.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>

// nats-server -js on 127.0.0.1:<free port>, its store in a fresh temporary folder; stopped (by
// its pid) when the object goes. stop() and start() again: the same port and store.
class NatsServer {
public:
    NatsServer() {
        char pattern[] = "/tmp/sylk-nats-XXXXXX";
        if (!mkdtemp(pattern))
            throw std::runtime_error("mkdtemp");
        store_ = pattern;
        port_ = freePort();
        start();
    }
    ~NatsServer() {
        stop();
        std::error_code ignored;
        std::filesystem::remove_all(store_, ignored);
    }
    std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

    void start() {
        std::string port = std::to_string(port_);
        pid_ = fork();
        if (pid_ == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);  // a crashed test leaves no server behind
            int null = open("/dev/null", O_WRONLY);
            dup2(null, STDOUT_FILENO);
            dup2(null, STDERR_FILENO);
            // Debian installs it in /usr/sbin, which a user's PATH may lack.
            const char* binary = access("/usr/sbin/nats-server", X_OK) == 0 ? "/usr/sbin/nats-server" : "nats-server";
            execlp(binary, "nats-server", "-js", "-a", "127.0.0.1", "-p", port.c_str(), "-sd", store_.c_str(),
                   static_cast<char*>(nullptr));
            _exit(127);
        }
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < deadline) {
            if (accepts())
                return;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling for the listener, not a wait for an effect
        }
        throw std::runtime_error("nats-server did not start");
    }
    void stop() {
        if (pid_ <= 0)
            return;
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }

private:
    static int freePort() {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
        close(fd);
        return ntohs(address.sin_port);
    }
    bool accepts() const {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = htons(static_cast<uint16_t>(port_));
        bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
        close(fd);
        return ok;
    }

    std::string store_;
    int port_ = 0;
    pid_t pid_ = -1;
};
