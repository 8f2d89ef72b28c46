// One connection to a NATS server (or cluster of them) with its JetStream context. It keeps
// reconnecting forever: a cluster node that loses NATS must come back by itself when NATS
// does, never need a restart. The constructor returns at once even when NATS is down (the
// first connect is retried in the background too), so janus starts whatever the network.
//
// libnats runs its own threads; the state callback arrives there and must not block.
#pragma once

#include <nats/nats.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "../api.hpp"

namespace sylk::cluster {

struct NatsCallbackState;  // nats_connection.cpp

class SYLK_API NatsConnection {
public:
    struct Settings {
        std::string url;                       // nats://host:port (comma-separated list allowed)
        std::string name;                      // what `nats-server` shows for this client
        std::chrono::milliseconds requestTimeout{1000};  // JetStream calls (KV reads and writes)
        // How soon a silent server (a partition) is noticed: pings every pingInterval, the
        // connection is dropped after two unanswered. Leases do not depend on it (they go by
        // their own deadline); it only makes the reconnect start sooner.
        std::chrono::milliseconds pingInterval{1000};
    };
    // connected(true) when the connection comes up or back, connected(false) when it drops.
    using StateListener = std::function<void(bool connected)>;

    // Throws std::runtime_error for settings libnats refuses (a malformed URL).
    NatsConnection(const Settings& settings, StateListener listener);
    ~NatsConnection();
    NatsConnection(const NatsConnection&) = delete;
    NatsConnection& operator=(const NatsConnection&) = delete;

    natsConnection* raw() const { return connection_; }
    jsCtx* jetStream() const { return jetStream_; }
    bool connected() const { return natsConnection_Status(connection_) == NATS_CONN_STATUS_CONNECTED; }

private:
    natsConnection* connection_ = nullptr;
    jsCtx* jetStream_ = nullptr;
    NatsCallbackState* callbacks_ = nullptr;  // outlives this object until libnats' last callback
};

}  // namespace sylk::cluster
