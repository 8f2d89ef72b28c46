#include "api_channel.hpp"

#include <jansson.h>

#include "api_loopback.hpp"

namespace sylk::hub {

ApiChannel::ApiChannel(Post post, Handler onEvent) : state_(std::make_shared<State>()) {
    state_->onEvent = std::move(onEvent);
    std::weak_ptr<State> weak = state_;
    channel_ = ApiLoopback::instance().open([weak, post = std::move(post)](const Json& message) {
        post([weak, message] {
            if (auto state = weak.lock())
                dispatch(*state, message);
        });
    });
}

ApiChannel::~ApiChannel() {
    state_->pending.clear();
    ApiLoopback::instance().close(channel_);
}

void ApiChannel::request(Json request, Handler onReply) {
    std::string transaction = "sylk-" + std::to_string(state_->nextTransaction++);
    request.set("transaction", transaction);
    if (onReply)
        state_->pending[transaction] = std::move(onReply);
    try {
        ApiLoopback::instance().send(channel_, std::move(request));
    } catch (...) {
        state_->pending.erase(transaction);
        throw;
    }
}

void ApiChannel::dispatch(State& state, const Json& message) {
    const char* kind = json_string_value(message.member("janus"));
    const char* transaction = json_string_value(message.member("transaction"));
    if (transaction) {
        auto it = state.pending.find(transaction);
        if (it != state.pending.end()) {
            if (kind && std::string(kind) == "ack")
                return;
            Handler handler = std::move(it->second);
            state.pending.erase(it);
            handler(message);
            return;
        }
        if (kind && std::string(kind) == "ack")
            return;  // the ack of a request that wanted no answer
    }
    if (state.onEvent)
        state.onEvent(message);
}

}  // namespace sylk::hub
