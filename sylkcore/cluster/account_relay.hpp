// Carries a SIP gateway account's events between the nodes of a cluster (issue 15: account
// events for multi-device sync). The gateway gives an event to the account's handles on its own
// node and publishes it here; every other node's relay delivers it to its own handles of that
// account. One subscription per node (sylk.account.*.events): a node gets every account's
// events and its gateway drops those of accounts it does not serve (cheap while accounts'
// events are rare next to media; per-account subscriptions are the next step if they are not).
// A node's own messages coming back from the server are dropped. The bus is NATS core: at most
// once; an event sent while a node was cut off is in the shared journal for the next sync.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "../api.hpp"
#include "../json.hpp"
#include "bus.hpp"
#include "handler_gate.hpp"

namespace sylk::cluster {

class SYLK_API AccountRelay {
public:
    // Called on the bus's thread for another node's event; must not block.
    using Deliver = std::function<void(const std::string& account, const Json& event)>;

    // bus must outlive the relay. Throws std::invalid_argument for a node id that
    // BusCodec::validNodeId refuses.
    AccountRelay(Bus& bus, std::string nodeId, Deliver deliver);
    ~AccountRelay();  // stop()
    AccountRelay(const AccountRelay&) = delete;
    AccountRelay& operator=(const AccountRelay&) = delete;

    // Subscribes; false (logged) if the bus refused. A second call does nothing.
    bool start();
    // Ends the subscription and waits until no delivery runs. Idempotent; not from Deliver.
    void stop();

    // Sends an account's event to the other nodes. false when it is not one that travels
    // (AccountEventCodec::carries), the account is no SIP URI, or the bus refused it.
    bool publish(const std::string& account, const Json& event);

    struct Stats {
        uint64_t published = 0;
        uint64_t delivered = 0;  // other nodes' events handed to Deliver
        uint64_t refused = 0;    // bus messages dropped as malformed
    };
    Stats stats() const;

private:
    void onMessage(const BusMessage& message);

    Bus& bus_;
    const std::string nodeId_;
    const Deliver deliver_;
    std::mutex mutex_;
    std::shared_ptr<HandlerGate> gate_;
    std::unique_ptr<BusSubscription> subscription_;
    std::atomic<uint64_t> published_{0};
    std::atomic<uint64_t> delivered_{0};
    std::atomic<uint64_t> refused_{0};
};

}  // namespace sylk::cluster
