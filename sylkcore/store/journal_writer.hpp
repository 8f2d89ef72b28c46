// The thread that owns a MessageJournal. Signalling threads never wait for the disk: they queue
// entries with a callback and go on; the writer commits everything queued meanwhile in one
// transaction (one fsync for many messages: group commit) and then runs each callback with
// what was stored. Whoever acknowledges a message does so from that callback, so nothing is
// acknowledged before it is durable. Callbacks run on the writer thread: hand the result to
// your own thread. Reads (sync) run on the same thread, in order with the writes.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../api.hpp"
#include "message_journal.hpp"

namespace sylk::store {

struct AppendOutcome {
    bool stored = false;                // false: nothing of this append was stored
    std::string error;                  // why, when not stored
    std::vector<AppendResult> results;  // one per entry, when stored
};

class SYLK_API JournalWriter {
public:
    using AppendDone = std::function<void(const AppendOutcome&)>;
    using Work = std::function<void(MessageJournal&)>;

    // retentionDays: entries older than that are deleted at start and then hourly (0: never).
    JournalWriter(std::unique_ptr<MessageJournal> journal, int retentionDays);
    // Finishes what is queued, then ends the thread.
    ~JournalWriter();
    JournalWriter(const JournalWriter&) = delete;
    JournalWriter& operator=(const JournalWriter&) = delete;

    void append(std::vector<JournalEntry> entries, AppendDone done);
    // Runs work on the writer thread with the journal (its exceptions are the work's to catch).
    void run(Work work);
    // Returns once everything queued before it is done (tests, benchmarks).
    void flush();
    std::string backend() const { return backend_; }
    // Most appends committed together so far (group commit at work), and the number of commits.
    size_t largestGroup() const;
    uint64_t commits() const;

private:
    struct Job {
        std::vector<JournalEntry> entries;  // an append, or
        AppendDone done;
        Work work;                          // other work
    };
    void loop();
    void commitGroup(std::vector<Job>& group);
    void expireOld();

    std::unique_ptr<MessageJournal> journal_;
    std::string backend_;
    int retentionDays_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Job> queue_;
    bool stopping_ = false;
    size_t largestGroup_ = 0;
    uint64_t commits_ = 0;
    std::thread thread_;
};

}  // namespace sylk::store
