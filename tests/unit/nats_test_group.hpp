// The group fixture the cluster unit tests share: one nats-server for all the tests of a program
// (the group setup starts it, the group teardown stops it by its pid), a connection to it, and
// the wait on a condition they all use.
#pragma once

#include <chrono>
#include <cstdio>
#include <exception>
#include <functional>
#include <thread>

#include <nats/nats.h>

#include "nats_test_server.hpp"

namespace nats_test {

// How long a wait on a condition may take before the check fails. It ends as soon as the
// condition holds, so it costs nothing when things work; it is long because CI runs these
// tests under ASan beside two integration shards on two cores, where 5 s was seen to be too
// short (test_hub_bridge timed out so).
constexpr std::chrono::milliseconds kPatience{30000};

inline NatsServer*& server() {
    static NatsServer* running = nullptr;
    return running;
}

// cmocka group setup: a failure to start fails the group with the reason on stderr.
inline int startServer(void**) {
    try {
        server() = new NatsServer();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "nats-server: %s\n", e.what());
        return -1;
    }
    return 0;
}

inline int stopServer(void**) {
    delete server();
    server() = nullptr;
    return 0;
}

inline bool waitUntil(const std::function<bool()>& done, std::chrono::milliseconds patience = kPatience) {
    auto deadline = std::chrono::steady_clock::now() + patience;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
}

// A libnats connection to the group's server (null if it would not connect within the patience).
inline natsConnection* connect() {
    natsConnection* connection = nullptr;
    waitUntil([&] { return natsConnection_ConnectTo(&connection, server()->url().c_str()) == NATS_OK; });
    return connection;
}

}  // namespace nats_test
