// One thread per plugin that runs control-path work in order: asynchronous requests, hub
// events, timers. Media never goes through it.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "api.hpp"

namespace sylk {

class SYLK_API ControlLoop {
public:
    using Task = std::function<void()>;

    explicit ControlLoop(std::string name);
    ~ControlLoop();  // stops and joins
    ControlLoop(const ControlLoop&) = delete;
    ControlLoop& operator=(const ControlLoop&) = delete;

    void start();
    // Runs the tasks already queued, then ends the thread. Later posts are dropped.
    void stop();
    // Queues a task; false once the loop is stopping. Tasks must not throw (the loop logs and
    // drops anything that escapes).
    bool post(Task task);
    size_t pending() const;

private:
    void run();

    std::string name_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Task> tasks_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace sylk
