// The in-process Janus API: the meeting point, in libsylkcore (one per process, like the hub),
// between the loopback transport (janus.transport.sylk.loopback), which hands Janus API
// requests to janus core as any transport does, and plugins that want to be Janus API clients
// themselves (the XMPP plugin's Jingle calls: a session, a handle on the audio mixer, an offer).
// Janus core then does for them what it does for a browser: ICE, DTLS, SRTP.
//
// A client opens a channel (one Janus transport session: the Janus sessions it creates are
// destroyed when it closes), sends requests on it and gets every message janus sends to it
// (replies, acks, events) through its listener, on whichever janus thread sent it. ApiChannel
// is the RAII client side. docs/decisions.md "Jingle media through janus core".
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <condition_variable>
#include <mutex>

#include "../api.hpp"
#include "../json.hpp"

namespace sylk::hub {

class SYLK_API ApiLoopback {
public:
    using Listener = std::function<void(const Json& message)>;
    // What the transport does for the clients. Called without the loopback's lock held.
    struct Carrier {
        std::function<void(uint64_t channel)> open;
        std::function<void(uint64_t channel, Json request)> send;
        std::function<void(uint64_t channel)> close;
    };

    static ApiLoopback& instance();

    // Transport side.
    void setCarrier(Carrier carrier);
    void clearCarrier();
    // A message janus sends to channel (dropped if the channel has closed meanwhile).
    void deliver(uint64_t channel, const Json& message);

    // Client side. open throws RequestError(NotFound) when no loopback transport is loaded.
    bool available() const;
    uint64_t open(Listener listener);
    // Throws RequestError(NotFound) for a closed channel or a transport that has gone.
    void send(uint64_t channel, Json request);
    // After close returns, the listener is not called again (a delivery that began before
    // finishes first: close waits for it, so never close from inside the listener).
    void close(uint64_t channel);

private:
    struct Entry {
        Listener listener;
        int delivering = 0;
    };
    mutable std::mutex mutex_;
    std::condition_variable idle_;
    bool haveCarrier_ = false;
    Carrier carrier_;
    std::map<uint64_t, Entry> channels_;
    uint64_t nextChannel_ = 1;
};

}  // namespace sylk::hub
