// Bus over a libnats connection that someone else owns (clusterlease's NatsConnection): the
// connection must outlive this object and every subscription it made.
#pragma once

#include <nats/nats.h>

#include "bus.hpp"

namespace sylk::cluster {

class SYLK_API NatsBus : public Bus {
public:
    explicit NatsBus(natsConnection* connection);

    bool publish(const std::string& subject, const std::string& payload) override;
    bool publishRequest(const std::string& subject, const std::string& reply, const std::string& payload) override;
    std::unique_ptr<BusSubscription> subscribe(const std::string& subject, Handler handler) override;
    std::string newInbox() override;
    bool flush(std::chrono::milliseconds timeout) override;

private:
    natsConnection* connection_;
};

}  // namespace sylk::cluster
