// A protocol stack's own thread: a GLib main loop (its own GMainContext, the thread's default
// context while it runs, so GIO's asynchronous calls made there complete there) that runs
// - work posted from any thread, in the order posted (post, execute),
// - timers (after, every) and fd watches (watch), each with an RAII handle that cancels it,
// - any GSource a library attaches to context() (Sofia-SIP's su_glib root, GIO streams).
// One thread per stack keeps a protocol's state single-threaded without locks.
//
// Stopping: stop() ends the loop; work still queued and work posted later is dropped and
// freed, never run on a torn-down stack (post returns false). stop() may be called from the
// thread itself (from posted work or a callback); the destructor stops and joins, and must not
// run on the thread itself.
#pragma once

#include <glib.h>

#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "fd_watch.hpp"
#include "source_handle.hpp"
#include "sylkcore/api.hpp"

namespace sylk::net {

class SYLK_API StackThread {
public:
    using Work = std::function<void()>;

    // Starts the thread; name is the thread's name (15 characters show) and the log prefix.
    explicit StackThread(std::string name);
    ~StackThread();
    StackThread(const StackThread&) = delete;
    StackThread& operator=(const StackThread&) = delete;

    // Queues work; false (and work freed at once) once stopping. What work throws is logged.
    bool post(Work work);
    // Runs work on the thread and waits for it (at once when called on the thread); rethrows
    // what it throws. Throws std::runtime_error if the thread stopped before running it.
    void execute(const Work& work);
    void stop();

    bool onThread() const { return std::this_thread::get_id() == threadId_; }
    bool stopping() const;
    GMainContext* context() const { return context_; }
    const std::string& name() const { return name_; }

    // Timers on the loop's monotonic clock; they fire on the thread, in the order they fall due.
    [[nodiscard]] SourceHandle after(std::chrono::milliseconds delay, Work fire);
    [[nodiscard]] SourceHandle every(std::chrono::milliseconds period, Work fire);
    // Watches fd for events (G_IO_IN, G_IO_OUT; errors and hang-ups always report).
    [[nodiscard]] FdWatch watch(int fd, GIOCondition events, FdWatch::Ready ready);

private:
    void run();
    static gboolean dispatchQueue(GSource* source, GSourceFunc, gpointer);
    void runQueued();
    SourceHandle addTimer(std::chrono::milliseconds delay, Work fire, bool repeat);

    std::string name_;
    GMainContext* context_ = nullptr;
    GMainLoop* loop_ = nullptr;
    GSource* queueSource_ = nullptr;  // made ready when work is queued
    mutable std::mutex mutex_;
    std::deque<Work> queue_;
    bool stopping_ = false;
    std::mutex joinMutex_;
    std::thread thread_;
    std::thread::id threadId_;
};

}  // namespace sylk::net
