// Asks hub service cluster.owner for the SIP focus without holding the SIP thread up: the
// cluster's answer may wait for NATS (a KV read, a create: lease/3 each), and every call and
// message of the node waits while the SIP thread does. The lookup runs on a thread of its own;
// the caller waits for it at most a budget and is told "unknown" past it (the focus then takes
// the call here, as when NATS does not answer). Threads are joined, never detached: the last
// ones when the lookup object goes, so none runs this plugin's code after it is unloaded.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sylkcore/json.hpp"

namespace sylk::sip {

class OwnerLookup {
public:
    // At most this many lookups wait for NATS at once; past it a call is taken here unasked.
    static constexpr size_t kMaxInFlight = 16;

    explicit OwnerLookup(std::chrono::milliseconds budget);
    ~OwnerLookup();  // joins every lookup thread (each ends within the cluster's NATS timeouts)
    OwnerLookup(const OwnerLookup&) = delete;
    OwnerLookup& operator=(const OwnerLookup&) = delete;

    // The cluster.owner answer for `request`, or nullopt with `why` when no answer came within
    // the budget or too many lookups wait already. Throws the service's RequestError (NotFound:
    // no cluster plugin). Called on the SIP thread.
    std::optional<Json> ask(const Json& request, std::string* why);

    uint64_t timedOut() const { return timedOut_.load(); }

private:
    struct Lookup;
    void reapFinished();

    const std::chrono::milliseconds budget_;
    std::mutex mutex_;
    std::vector<std::shared_ptr<Lookup>> lookups_;
    std::atomic<uint64_t> timedOut_{0};
};

}  // namespace sylk::sip
