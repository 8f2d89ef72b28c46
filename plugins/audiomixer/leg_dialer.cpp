#include "leg_dialer.hpp"

#include <chrono>

namespace sylk::audiomixer {

LegDialer::LegDialer(int tickMs, Job onTick) : tickMs_(tickMs), onTick_(std::move(onTick)) {
    thread_ = std::thread([this] { run(); });
}

LegDialer::~LegDialer() { stop(); }

void LegDialer::post(Job job) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_)
            return;
        jobs_.push_back(std::move(job));
    }
    wake_.notify_one();
}

void LegDialer::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        jobs_.clear();
    }
    wake_.notify_one();
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id())
        thread_.join();
}

void LegDialer::run() {
    auto nextTick = std::chrono::steady_clock::now() + std::chrono::milliseconds(tickMs_);
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        if (jobs_.empty() && !wake_.wait_until(lock, nextTick, [this] { return stopping_ || !jobs_.empty(); })) {
            nextTick = std::chrono::steady_clock::now() + std::chrono::milliseconds(tickMs_);
            lock.unlock();
            onTick_();
            lock.lock();
            continue;
        }
        if (stopping_)
            break;
        Job job = std::move(jobs_.front());
        jobs_.pop_front();
        lock.unlock();
        job();
        lock.lock();
        if (std::chrono::steady_clock::now() >= nextTick) {
            nextTick = std::chrono::steady_clock::now() + std::chrono::milliseconds(tickMs_);
            lock.unlock();
            onTick_();
            lock.lock();
        }
    }
}

}  // namespace sylk::audiomixer
