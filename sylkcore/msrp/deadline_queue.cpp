#include "deadline_queue.hpp"

namespace sylk::msrp {

DeadlineQueue::Token DeadlineQueue::add(Clock::time_point deadline, std::string key) {
    if (!entries_.empty() && deadline < entries_.back().deadline)
        deadline = entries_.back().deadline;
    entries_.push_back(Entry{deadline, std::move(key), true});
    ++live_;
    return first_ + entries_.size() - 1;
}

void DeadlineQueue::cancel(Token token) {
    if (token < first_ || token - first_ >= entries_.size())
        return;
    Entry& entry = entries_[static_cast<size_t>(token - first_)];
    if (!entry.live)
        return;
    entry.live = false;
    std::string().swap(entry.key);
    --live_;
    dropCancelledFront();
}

std::vector<DeadlineQueue::Expired> DeadlineQueue::expire(Clock::time_point now) {
    std::vector<Expired> due;
    while (!entries_.empty() && entries_.front().deadline <= now) {
        Entry& entry = entries_.front();
        if (entry.live) {
            due.push_back(Expired{first_, std::move(entry.key)});
            --live_;
        }
        entries_.pop_front();
        ++first_;
    }
    dropCancelledFront();
    return due;
}

std::optional<DeadlineQueue::Clock::time_point> DeadlineQueue::next() const {
    if (entries_.empty())
        return std::nullopt;
    return entries_.front().deadline;  // the front is live: cancelled ones never stay there
}

void DeadlineQueue::dropCancelledFront() {
    while (!entries_.empty() && !entries_.front().live) {
        entries_.pop_front();
        ++first_;
    }
}

}  // namespace sylk::msrp
