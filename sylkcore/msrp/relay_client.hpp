// The client side of an MSRP relay (RFC 4976), for a server that is reachable only through one
// (behind NAT, or a deployment that wants every chat through its relay): it keeps a connection to
// the relay open, AUTHs with HTTP Digest (401 challenge, then Authorization), and on 200 gives the
// relay's Use-Path to the Stack, whose sessions then advertise it first in their a=path and send
// through it. It refreshes the AUTH before Expires runs out, and on any failure (refused
// credentials, a lost connection, no answer) clears the Use-Path, tells its listener why and tries
// again later. Stack thread only; the Stack must outlive it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "digest_challenge.hpp"
#include "message.hpp"
#include "sylkcore/api.hpp"
#include "sylkcore/net/source_handle.hpp"
#include "uri.hpp"

namespace sylk::msrp {

class Stack;
class Connection;

struct RelayClientConfig {
    // The relay's own URI (no session id): msrps://relay.example.com:2855;tcp. The AUTH's To-Path
    // and the digest-uri.
    Uri relay;
    std::string username;
    std::string password;  // never logged
    // msrps: the relay's certificate fingerprint to pin ("sha-256 AB:CD:..."), "" for none.
    std::string fingerprint;
    // The Expires we ask for; 0 lets the relay choose. A 423 answer moves it into the relay's bounds.
    std::chrono::seconds expires{0};
    // After a failure, the next attempt comes this much later.
    std::chrono::seconds retryDelay{30};
    // How often a Ready client checks that its connection to the relay is still open.
    std::chrono::milliseconds connectionCheck{2000};
};

class SYLK_API RelayClient {
public:
    enum class State { Idle, Connecting, Authenticating, Ready, Failed };
    struct Status {
        State state = State::Idle;
        int lastStatus = 0;          // the relay's last answer (200, 401, 403, 423, ...), 0 for none
        std::string error;           // why, when Failed
        std::vector<Uri> usePath;    // the relay's Use-Path while Ready
        std::chrono::seconds expires{0};
        unsigned authentications = 0;  // successful AUTHs so far (the first and each refresh)
    };
    using Listener = std::function<void(const Status& status)>;

    RelayClient(Stack& stack, RelayClientConfig config, Listener listener = {});
    // Stops (without telling the listener); the Stack's Use-Path is cleared if this client set it.
    ~RelayClient();
    RelayClient(const RelayClient&) = delete;
    RelayClient& operator=(const RelayClient&) = delete;

    // Connects and AUTHs (the listener hears of Ready or Failed). Idempotent.
    void start();
    void stop();
    const Status& status() const { return status_; }

    // When a refresh is due for a grant of `expires` seconds: at three quarters of it, so that a
    // slow relay or a retried challenge still ends before the grant does (and at least 1 s on).
    static std::chrono::milliseconds refreshDelay(std::chrono::seconds expires);

private:
    void connect();
    void sendAuth(const DigestChallenge* challenge);
    void onResponse(const Message* response, const std::string& why);
    void granted(const Message& response);
    void fail(int status, const std::string& why);
    void setState(State state);
    void checkConnection();

    Stack& stack_;
    RelayClientConfig config_;
    Listener listener_;
    Status status_;
    bool running_ = false;
    std::shared_ptr<Connection> connection_;
    Uri clientUri_;                // our From-Path in AUTHs
    std::string answeredNonce_;    // the nonce our last Authorization answered ("" for none)
    unsigned nonceCount_ = 0;
    bool expiresAdjusted_ = false;  // a 423 moved config_.expires once already
    net::SourceHandle timer_;      // the refresh or the retry
    net::SourceHandle watchdog_;   // connectionCheck while Ready
    // Callbacks that may outlive this client (the connection's) hold a weak_ptr to it and do
    // nothing once it is gone.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sylk::msrp
