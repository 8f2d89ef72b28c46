#include "account_relay.hpp"

#include <stdexcept>

#include "../log.hpp"
#include "account_event_codec.hpp"
#include "bus_codec.hpp"

namespace sylk::cluster {
namespace {

constexpr char kComponent[] = "cluster";

}  // namespace

AccountRelay::AccountRelay(Bus& bus, std::string nodeId, Deliver deliver)
    : bus_(bus), nodeId_(std::move(nodeId)), deliver_(std::move(deliver)) {
    if (!BusCodec::validNodeId(nodeId_))
        throw std::invalid_argument("node id '" + nodeId_ + "' must be 1-128 characters of [A-Za-z0-9._-]");
}

AccountRelay::~AccountRelay() { stop(); }

bool AccountRelay::start() {
    std::lock_guard lock(mutex_);
    if (gate_)
        return subscription_ != nullptr;
    gate_ = std::make_shared<HandlerGate>();
    auto gate = gate_;
    subscription_ = bus_.subscribe(AccountEventCodec::anyAccount(), [this, gate](const BusMessage& message) {
        if (auto entry = gate->enter())
            onMessage(message);
    });
    if (!subscription_)
        SYLK_LOG(LOG_ERR, kComponent, "node %s: the bus refused the account events' subscription", nodeId_.c_str());
    return subscription_ != nullptr;
}

void AccountRelay::stop() {
    std::shared_ptr<HandlerGate> gate;
    std::unique_ptr<BusSubscription> subscription;
    {
        std::lock_guard lock(mutex_);
        gate = gate_;
        subscription = std::move(subscription_);
    }
    subscription.reset();
    if (gate)
        gate->close();  // no delivery runs past this
}

bool AccountRelay::publish(const std::string& account, const Json& event) {
    json_t* name = event.member("event");
    if (!json_is_string(name) || !AccountEventCodec::carries(json_string_value(name)))
        return false;
    if (account.empty() || account.size() > AccountEventCodec::kMaxAccount ||
        (account.rfind("sip:", 0) != 0 && account.rfind("sips:", 0) != 0))
        return false;
    AccountEvent payload{nodeId_, account, event};
    if (!bus_.publish(AccountEventCodec::subject(account), AccountEventCodec::encode(payload)))
        return false;
    ++published_;
    return true;
}

void AccountRelay::onMessage(const BusMessage& message) {
    std::string error;
    auto event = AccountEventCodec::decode(message.data, &error);
    if (!event) {
        ++refused_;
        SYLK_LOG(LOG_WARN, kComponent, "node %s: dropped a bus message on %s: %s", nodeId_.c_str(),
                 message.subject.c_str(), error.c_str());
        return;
    }
    if (event->node == nodeId_)
        return;  // our own, back from the server
    if (AccountEventCodec::subject(event->account) != message.subject) {
        ++refused_;
        SYLK_LOG(LOG_WARN, kComponent, "node %s: dropped an account event on %s: it names another account",
                 nodeId_.c_str(), message.subject.c_str());
        return;
    }
    ++delivered_;
    try {
        deliver_(event->account, event->event);
    } catch (const std::exception& e) {  // nothing throws into libnats
        SYLK_LOG(LOG_WARN, kComponent, "node %s: an account event was not delivered: %s", nodeId_.c_str(), e.what());
    }
}

AccountRelay::Stats AccountRelay::stats() const { return Stats{published_.load(), delivered_.load(), refused_.load()}; }

}  // namespace sylk::cluster
