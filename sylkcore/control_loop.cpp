#include "control_loop.hpp"

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
            wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
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
