// Keeps a listener subscribed to a room for as long as it lives.
#pragma once

#include <cstdint>
#include <memory>

#include "../api.hpp"

namespace sylk::hub {

class Room;

class SYLK_API Subscription {
public:
    Subscription() = default;
    Subscription(std::weak_ptr<Room> room, uint64_t token) : room_(std::move(room)), token_(token) {}
    Subscription(Subscription&& other) noexcept;
    Subscription& operator=(Subscription&& other) noexcept;
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;
    ~Subscription();

    void reset();
    bool active() const { return token_ != 0; }

private:
    std::weak_ptr<Room> room_;
    uint64_t token_ = 0;
};

}  // namespace sylk::hub
