// The client side of the in-process Janus API (ApiLoopback): one channel, RAII (closing it
// makes janus destroy the sessions made through it). Messages from janus arrive on janus's
// threads and are handed to the owner's thread with post; there, a reply goes to the handler
// of its request (matched by transaction, acks skipped) and everything else (a plugin's
// asynchronous events, webrtcup, media, hangup, detached, timeout) to onEvent.
// Made, used and destroyed on the owner's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "../api.hpp"
#include "../json.hpp"

namespace sylk::hub {

class SYLK_API ApiChannel {
public:
    using Post = std::function<bool(std::function<void()>)>;
    using Handler = std::function<void(const Json& message)>;

    // Throws RequestError(NotFound) when the loopback transport is not loaded.
    ApiChannel(Post post, Handler onEvent);
    ~ApiChannel();
    ApiChannel(const ApiChannel&) = delete;
    ApiChannel& operator=(const ApiChannel&) = delete;

    // Sends request with a fresh transaction. onReply (if any) gets the first message with
    // that transaction that is not an ack: success, error, or the plugin's event answering a
    // "message". Requests janus only acks (trickle, keepalive) take no handler.
    void request(Json request, Handler onReply = nullptr);
    size_t pending() const { return state_->pending.size(); }

private:
    struct State {
        std::map<std::string, Handler> pending;
        Handler onEvent;
        uint64_t nextTransaction = 1;
    };
    static void dispatch(State& state, const Json& message);

    std::shared_ptr<State> state_;
    uint64_t channel_ = 0;
};

}  // namespace sylk::hub
