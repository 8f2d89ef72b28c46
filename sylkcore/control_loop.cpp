#include "control_loop.hpp"

#include <algorithm>
#include <exception>

#include "log.hpp"

namespace sylk {

ControlLoop::ControlLoop(std::string name) : name_(std::move(name)) {}

ControlLoop::~ControlLoop() { stop(); }

void ControlLoop::start() {
    std::lock_guard lock(mutex_);
    if (thread_.joinable())
        return;
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
}

void ControlLoop::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        timers_.clear();
    }
    wake_.notify_all();
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id())
        thread_.join();
}

bool ControlLoop::post(Task task) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || !thread_.joinable())
            return false;
        tasks_.push_back(std::move(task));
    }
    wake_.notify_one();
    return true;
}

uint64_t ControlLoop::every(std::chrono::milliseconds interval, Task task) {
    uint64_t id;
    {
        std::lock_guard lock(mutex_);
        if (stopping_)
            return 0;
        id = nextTimer_++;
        interval = std::max(interval, std::chrono::milliseconds(1));
        timers_.push_back({id, interval, std::chrono::steady_clock::now() + interval, std::make_shared<Task>(std::move(task))});
    }
    wake_.notify_one();  // the loop may be waiting for a later deadline
    return id;
}

void ControlLoop::cancel(uint64_t timer) {
    std::lock_guard lock(mutex_);
    std::erase_if(timers_, [&](const Timer& each) { return each.id == timer; });
}

size_t ControlLoop::pending() const {
    std::lock_guard lock(mutex_);
    return tasks_.size();
}

void ControlLoop::run() {
    pthread_setname_np(pthread_self(), name_.substr(0, 15).c_str());
    for (;;) {
        Task task;
        {
            std::unique_lock lock(mutex_);
            for (;;) {
                if (!tasks_.empty() || stopping_)
                    break;
                if (timers_.empty()) {
                    wake_.wait(lock);
                    continue;
                }
                auto next = std::min_element(timers_.begin(), timers_.end(),
                                             [](const Timer& a, const Timer& b) { return a.due < b.due; });
                auto now = std::chrono::steady_clock::now();
                if (next->due <= now) {
                    // A timer's run is a task like the others, queued behind those waiting.
                    next->due += next->interval;
                    if (next->due <= now)
                        next->due = now + next->interval;
                    tasks_.push_back([shared = next->task] { (*shared)(); });
                    break;
                }
                wake_.wait_until(lock, next->due);
            }
            if (tasks_.empty())
                return;  // stopping and drained
            task = std::move(tasks_.front());
            tasks_.pop_front();
        }
        try {
            task();
        } catch (const std::exception& e) {
            SYLK_LOG(LOG_ERR, "loop", "%s: task failed: %s", name_.c_str(), e.what());
        } catch (...) {
            SYLK_LOG(LOG_ERR, "loop", "%s: task failed with a non-standard exception", name_.c_str());
        }
    }
}

}  // namespace sylk
