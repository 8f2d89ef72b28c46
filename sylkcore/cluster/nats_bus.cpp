#include "nats_bus.hpp"

#include <atomic>
#include <utility>

#include "../log.hpp"

namespace sylk::cluster {
namespace {

// What libnats calls back with: the handler and whether the subscription still wants messages.
// libnats may run one last callback after Unsubscribe returns, so the slot is freed by its
// on-complete callback (after the last one), never by the subscription object.
struct HandlerSlot {
    Bus::Handler handler;
    std::atomic<bool> active{true};
};

void onMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    auto* slot = static_cast<HandlerSlot*>(closure);
    if (slot->active.load()) {
        BusMessage message;
        message.subject = natsMsg_GetSubject(msg);
        if (const char* reply = natsMsg_GetReply(msg))
            message.reply = reply;
        if (const char* data = natsMsg_GetData(msg))
            message.data.assign(data, static_cast<size_t>(natsMsg_GetDataLength(msg)));
        try {
            slot->handler(message);
        } catch (const std::exception& e) {
            // Never into libnats's thread: one bad message must not end the delivery.
            SYLK_LOG(LOG_ERR, "cluster", "bus handler of %s failed: %s", message.subject.c_str(), e.what());
        }
    }
    natsMsg_Destroy(msg);
}

void onComplete(void* closure) { delete static_cast<HandlerSlot*>(closure); }

class NatsSubscription : public BusSubscription {
public:
    NatsSubscription(natsSubscription* subscription, HandlerSlot* slot) : subscription_(subscription), slot_(slot) {}
    ~NatsSubscription() override {
        slot_->active.store(false);
        natsSubscription_Unsubscribe(subscription_);  // fails harmlessly on a closed connection
        natsSubscription_Destroy(subscription_);
    }
    NatsSubscription(const NatsSubscription&) = delete;
    NatsSubscription& operator=(const NatsSubscription&) = delete;

private:
    natsSubscription* subscription_;
    HandlerSlot* slot_;  // freed by onComplete
};

}  // namespace

NatsBus::NatsBus(natsConnection* connection) : connection_(connection) {}

bool NatsBus::publish(const std::string& subject, const std::string& payload) {
    return publishRequest(subject, {}, payload);
}

bool NatsBus::publishRequest(const std::string& subject, const std::string& reply, const std::string& payload) {
    natsStatus status = reply.empty()
        ? natsConnection_Publish(connection_, subject.c_str(), payload.data(), static_cast<int>(payload.size()))
        : natsConnection_PublishRequest(connection_, subject.c_str(), reply.c_str(), payload.data(),
                                        static_cast<int>(payload.size()));
    if (status != NATS_OK) {
        SYLK_LOG(LOG_WARN, "cluster", "bus: not published on %s (%zu bytes): %s", subject.c_str(), payload.size(),
                 natsStatus_GetText(status));
        return false;
    }
    return true;
}

std::unique_ptr<BusSubscription> NatsBus::subscribe(const std::string& subject, Handler handler) {
    auto* slot = new HandlerSlot{std::move(handler)};
    natsSubscription* subscription = nullptr;
    natsStatus status = natsConnection_Subscribe(&subscription, connection_, subject.c_str(), onMessage, slot);
    if (status == NATS_OK)
        status = natsSubscription_SetOnCompleteCB(subscription, onComplete, slot);
    if (status != NATS_OK) {
        SYLK_LOG(LOG_ERR, "cluster", "bus: cannot subscribe to %s: %s", subject.c_str(), natsStatus_GetText(status));
        if (subscription) {
            // No on-complete callback to free the slot: it stays (a few bytes, on an error path)
            // rather than risk a last callback reading it.
            slot->active.store(false);
            natsSubscription_Unsubscribe(subscription);
            natsSubscription_Destroy(subscription);
        } else {
            delete slot;
        }
        return nullptr;
    }
    return std::make_unique<NatsSubscription>(subscription, slot);
}

std::string NatsBus::newInbox() {
    natsInbox* inbox = nullptr;
    if (natsInbox_Create(&inbox) != NATS_OK)
        return {};
    std::string name = inbox;
    natsInbox_Destroy(inbox);
    return name;
}

bool NatsBus::flush(std::chrono::milliseconds timeout) {
    // A PING after what we published and the server's PONG: the server has read all of it.
    natsStatus status = natsConnection_FlushTimeout(connection_, static_cast<int64_t>(timeout.count()));
    if (status != NATS_OK) {
        SYLK_LOG(LOG_WARN, "cluster", "bus: the server did not confirm what we published within %lld ms: %s",
                 static_cast<long long>(timeout.count()), natsStatus_GetText(status));
        return false;
    }
    return true;
}

}  // namespace sylk::cluster
