// One thread per plugin that runs control-path work in order: asynchronous requests, hub
// events, timers. Media never goes through it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

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
    // Runs task on the loop every interval (the first time one interval from now) until
    // cancelled or the loop stops, queued behind the tasks waiting then; a run that comes late
    // is not made up for, and one already queued when cancelled still runs. May be set before
    // start (a plugin's configure). Returns its id, 0 once the loop is stopping. Any thread.
    uint64_t every(std::chrono::milliseconds interval, Task task);
    void cancel(uint64_t timer);
    size_t pending() const;

private:
    void run();

    std::string name_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Task> tasks_;
    struct Timer {
        uint64_t id;
        std::chrono::milliseconds interval;
        std::chrono::steady_clock::time_point due;
        std::shared_ptr<Task> task;
    };
    std::vector<Timer> timers_;
    uint64_t nextTimer_ = 1;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace sylk
