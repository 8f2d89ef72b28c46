// Lets an object know when none of its callbacks runs any more: each callback enters the gate
// (and does nothing if it is closed), close() shuts it and waits for those inside to leave.
// A callback entered again on the same thread (a hub post that reaches our own listener) is
// refused after close() instead of deadlocking. close() must not be called from inside.
#pragma once

#include <condition_variable>
#include <mutex>

namespace sylk::cluster {

class HandlerGate {
public:
    class Entry {
    public:
        explicit Entry(HandlerGate* gate) : gate_(gate) {}
        Entry(const Entry&) = delete;
        Entry& operator=(const Entry&) = delete;
        ~Entry() {
            if (gate_)
                gate_->leave();
        }
        explicit operator bool() const { return gate_ != nullptr; }

    private:
        HandlerGate* gate_;
    };

    // Falsy when the gate is closed: the callback returns at once.
    Entry enter() {
        std::lock_guard lock(mutex_);
        if (!open_)
            return Entry(nullptr);
        ++inside_;
        return Entry(this);
    }

    void close() {
        std::unique_lock lock(mutex_);
        open_ = false;
        left_.wait(lock, [this] { return inside_ == 0; });
    }

private:
    void leave() {
        std::lock_guard lock(mutex_);
        if (--inside_ == 0)
            left_.notify_all();
    }

    std::mutex mutex_;
    std::condition_variable left_;
    bool open_ = true;
    int inside_ = 0;
};

}  // namespace sylk::cluster
