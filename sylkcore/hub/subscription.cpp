#include "subscription.hpp"

#include "room.hpp"

namespace sylk::hub {

Subscription::Subscription(Subscription&& other) noexcept
    : room_(std::move(other.room_)), token_(other.token_) {
    other.token_ = 0;
}

Subscription& Subscription::operator=(Subscription&& other) noexcept {
    if (this != &other) {
        reset();
        room_ = std::move(other.room_);
        token_ = other.token_;
        other.token_ = 0;
    }
    return *this;
}

Subscription::~Subscription() { reset(); }

void Subscription::reset() {
    if (token_ == 0)
        return;
    if (auto room = room_.lock())
        room->unsubscribe(token_);
    token_ = 0;
    room_.reset();
}

}  // namespace sylk::hub
