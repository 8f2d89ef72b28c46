// The deadlines of a connection's outgoing transactions, in one queue checked by one timer,
// instead of one GLib timeout source per transaction: with a GLib source each, every turn of
// the stack thread's loop walked every pending transaction of every session (prepare/check), and
// each SEND paid a source's allocation and its locks. A stack's transaction timeout is one
// constant, so deadlines arrive in order and the queue is a FIFO: add, cancel and expiry are O(1)
// (a deadline earlier than the last one added is moved up to it: it fires a little late, never
// early). A cancelled entry stays until it reaches the front, where it is dropped at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "sylkcore/api.hpp"

namespace sylk::msrp {

class SYLK_API DeadlineQueue {
public:
    using Clock = std::chrono::steady_clock;
    using Token = uint64_t;
    struct Expired {
        Token token;
        std::string key;
    };

    // Queues key (a transaction id) to expire at deadline; the token cancels it.
    Token add(Clock::time_point deadline, std::string key);
    // Stops a queued key from expiring; unknown, expired or cancelled tokens are ignored.
    void cancel(Token token);
    // Takes out what is due at now (deadline <= now), in deadline order, cancelled ones left out.
    std::vector<Expired> expire(Clock::time_point now);
    // The earliest deadline still queued, or nullopt when none is.
    std::optional<Clock::time_point> next() const;
    size_t size() const { return live_; }
    bool empty() const { return live_ == 0; }

private:
    struct Entry {
        Clock::time_point deadline;
        std::string key;
        bool live = true;
    };
    void dropCancelledFront();

    std::deque<Entry> entries_;
    Token first_ = 0;  // the token of entries_.front()
    size_t live_ = 0;
};

}  // namespace sylk::msrp
