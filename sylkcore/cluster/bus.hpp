// The cluster's message bus as the HubBridge sees it: publish to a subject, subscribe to a
// subject or a wildcard. NatsBus implements it over libnats; the interface keeps the bridge's
// logic apart from the client library.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "../api.hpp"

namespace sylk::cluster {

struct BusMessage {
    std::string subject;
    std::string reply;  // where an answer goes (a request's inbox); empty if none was asked
    std::string data;
};

// Ends a subscription when destroyed: its handler is not called for messages that arrive after.
// A call already running on another thread may still finish; whoever frees what the handler
// uses must wait for that itself (HubBridge::stop does).
class SYLK_API BusSubscription {
public:
    virtual ~BusSubscription() = default;
};

class SYLK_API Bus {
public:
    virtual ~Bus() = default;

    // Handlers run on the bus's own threads, one message at a time per subscription, in the
    // order a publisher sent them. They must not block.
    using Handler = std::function<void(const BusMessage& message)>;

    // Queues a message; false (logged) if the bus refused it (too large, connection closed).
    virtual bool publish(const std::string& subject, const std::string& payload) = 0;
    // The same, asking receivers to answer on `reply`.
    virtual bool publishRequest(const std::string& subject, const std::string& reply, const std::string& payload) = 0;
    // subject may use the wildcards '*' (one token) and '>' (the rest). nullptr (logged) on failure.
    virtual std::unique_ptr<BusSubscription> subscribe(const std::string& subject, Handler handler) = 0;
    // A fresh subject prefix nobody else uses, for answers to this process's requests.
    virtual std::string newInbox() = 0;
    // Waits until the server has every message published so far, at most `timeout`; false if
    // it did not say so in time. A chat is acknowledged to its sender only after this, so a
    // node killed right after the acknowledgement cannot take it with it (docs/cluster.md).
    virtual bool flush(std::chrono::milliseconds timeout) = 0;
};

}  // namespace sylk::cluster
