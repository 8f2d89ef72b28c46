#include "journal_writer.hpp"

#include <glib.h>

#include <chrono>
#include <future>

#include "../log.hpp"

namespace sylk::store {

namespace {
constexpr size_t kMaxGroup = 2000;  // entries per transaction: bounds one commit's latency
constexpr auto kExpireEvery = std::chrono::hours(1);
}  // namespace

JournalWriter::JournalWriter(std::unique_ptr<MessageJournal> journal, int retentionDays)
    : journal_(std::move(journal)), backend_(journal_->backend()), retentionDays_(retentionDays) {
    thread_ = std::thread([this] { loop(); });
}

JournalWriter::~JournalWriter() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void JournalWriter::append(std::vector<JournalEntry> entries, AppendDone done) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        queue_.push_back(Job{std::move(entries), std::move(done), nullptr});
    }
    wake_.notify_one();
}

void JournalWriter::run(Work work) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        queue_.push_back(Job{{}, nullptr, std::move(work)});
    }
    wake_.notify_one();
}

void JournalWriter::flush() {
    std::promise<void> done;
    auto future = done.get_future();
    run([&done](MessageJournal&) { done.set_value(); });
    future.wait();
}

size_t JournalWriter::largestGroup() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return largestGroup_;
}

uint64_t JournalWriter::commits() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return commits_;
}

void JournalWriter::expireOld() {
    if (retentionDays_ <= 0)
        return;
    int64_t cutoff = g_get_real_time() - static_cast<int64_t>(retentionDays_) * 86400 * G_USEC_PER_SEC;
    try {
        int64_t removed = journal_->expire(cutoff);
        if (removed > 0)
            SYLK_LOG(LOG_INFO, "sylk.store", "journal: %lld entries older than %d days removed",
                     static_cast<long long>(removed), retentionDays_);
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_ERR, "sylk.store", "journal: expiring old entries failed: %s", e.what());
    }
}

void JournalWriter::commitGroup(std::vector<Job>& group) {
    std::vector<JournalEntry> all;
    for (auto& job : group)
        all.insert(all.end(), job.entries.begin(), job.entries.end());
    try {
        auto results = journal_->append(all);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            largestGroup_ = std::max(largestGroup_, group.size());
            ++commits_;
        }
        size_t at = 0;
        for (auto& job : group) {
            AppendOutcome outcome;
            outcome.stored = true;
            outcome.results.assign(results.begin() + static_cast<long>(at),
                                   results.begin() + static_cast<long>(at + job.entries.size()));
            at += job.entries.size();
            if (job.done)
                job.done(outcome);
        }
        return;
    } catch (const std::exception& e) {
        if (group.size() == 1) {
            SYLK_LOG(LOG_ERR, "sylk.store", "%s", e.what());
            AppendOutcome outcome;
            outcome.error = e.what();
            if (group[0].done)
                group[0].done(outcome);
            return;
        }
    }
    // One job spoilt the group (an invalid entry, or the disk filled up): each on its own, so
    // the others are stored if they can be and every caller learns its own outcome.
    for (auto& job : group) {
        std::vector<Job> one;
        one.push_back(std::move(job));
        commitGroup(one);
    }
}

void JournalWriter::loop() {
    expireOld();
    auto nextExpiry = std::chrono::steady_clock::now() + kExpireEvery;
    for (;;) {
        std::vector<Job> group;
        Job work;
        bool haveWork = false;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait_until(lock, nextExpiry, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) {
                if (stopping_)
                    return;
            } else if (queue_.front().work) {
                work = std::move(queue_.front());
                queue_.pop_front();
                haveWork = true;
            } else {
                size_t entries = 0;
                while (!queue_.empty() && !queue_.front().work && entries < kMaxGroup) {
                    entries += queue_.front().entries.size();
                    group.push_back(std::move(queue_.front()));
                    queue_.pop_front();
                }
            }
        }
        if (haveWork) {
            try {
                work.work(*journal_);
            } catch (const std::exception& e) {
                SYLK_LOG(LOG_ERR, "sylk.store", "journal work failed: %s", e.what());
            }
        } else if (!group.empty()) {
            commitGroup(group);
        }
        if (std::chrono::steady_clock::now() >= nextExpiry) {
            expireOld();
            nextExpiry = std::chrono::steady_clock::now() + kExpireEvery;
        }
    }
}

}  // namespace sylk::store
