// Calls from one node's plugin to a hub service of another node (issue 15: media across
// nodes). A plugin on node B asks node A's video room to relay a publisher, or A's mixer to
// open a mix leg, the way plugins of one node already call each other's hub services: the
// call travels on the bus to subject sylk.call.<node>, where that node's NodeCalls runs the
// service and answers on the caller's inbox.
//
// Only services whose name holds ".remote." can be called this way (NodeCallCodec): a plugin says which of
// its services other nodes may use, and the others (sip.account_event, videoroom.admit...)
// stay local. The service gets the request with "from_node" set to the caller's node id.
//
// Threads: an incoming call runs on the bus's thread for this node's subscription, which waits
// for the service (one incoming call at a time per node). call() blocks its caller until the
// answer or the timeout: a plugin must not call() from a loop that also serves one of its
// `.remote.` services (two nodes calling each other would wait on each other's loop until the
// timeout); send() is the one-way form for that.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "../api.hpp"
#include "../json.hpp"
#include "bus.hpp"
#include "handler_gate.hpp"

namespace sylk::cluster {

class SYLK_API NodeCalls {
public:
    // Runs a local hub service; throws RequestError to refuse (hub::Services::call in the plugin).
    using LocalCall = std::function<Json(const std::string& service, const Json& request)>;

    static constexpr std::chrono::milliseconds kDefaultTimeout{2000};
    static constexpr std::chrono::milliseconds kMaxTimeout{10'000};
    // bus must outlive this. Throws std::invalid_argument for an invalid node id.
    NodeCalls(Bus& bus, std::string nodeId, LocalCall local);
    ~NodeCalls();  // stop()
    NodeCalls(const NodeCalls&) = delete;
    NodeCalls& operator=(const NodeCalls&) = delete;

    // Subscribes to this node's call subject and its answers' inbox; false (logged) if the bus
    // refused. A second call does nothing.
    bool start();
    // Ends both subscriptions, waits for a running incoming call, and wakes every caller still
    // waiting (they get ClusterUnreachable). Idempotent.
    void stop();

    // The answer of `service` on `node`. Throws RequestError: InvalidField (not a `.remote.`
    // service, bad node id), PayloadTooLarge, ClusterUnreachable (the bus refused, or stopped),
    // NotFound (no node of that id listens, or no answer within timeout, capped at
    // kMaxTimeout), or the remote service's own
    // refusal with its code and message.
    Json call(const std::string& node, const std::string& service, const Json& request,
              std::chrono::milliseconds timeout = kDefaultTimeout);
    // One way: false if refused (the same checks) or the bus did not take it.
    bool send(const std::string& node, const std::string& service, const Json& request);

    static std::string subject(const std::string& node) { return "sylk.call." + node; }

    struct Stats {
        uint64_t called = 0;    // call() and send() that left this node
        uint64_t served = 0;    // incoming calls run here
        uint64_t refused = 0;   // incoming messages dropped or refused (malformed, not callable)
        uint64_t timedOut = 0;  // call()s without an answer in time
    };
    Stats stats() const;

private:
    struct Pending {
        std::mutex mutex;
        std::condition_variable answered;
        std::optional<std::string> answer;
        bool abandoned = false;  // stop() woke the caller
    };

    void onCall(const BusMessage& message);
    void onAnswer(const BusMessage& message);
    void answer(const std::string& reply, const std::string& body);

    Bus& bus_;
    const std::string nodeId_;
    const LocalCall local_;
    std::mutex mutex_;  // gate_, subscriptions, inbox_, pending_
    std::shared_ptr<HandlerGate> gate_;
    std::unique_ptr<BusSubscription> callSubscription_;
    std::unique_ptr<BusSubscription> answerSubscription_;
    std::string inbox_;
    uint64_t nextId_ = 0;
    std::map<uint64_t, std::shared_ptr<Pending>> pending_;
    std::atomic<uint64_t> called_{0};
    std::atomic<uint64_t> served_{0};
    std::atomic<uint64_t> refused_{0};
    std::atomic<uint64_t> timedOut_{0};
};

}  // namespace sylk::cluster
