#include "stack_thread.hpp"

#include <pthread.h>

#include <algorithm>
#include <exception>
#include <future>
#include <memory>
#include <stdexcept>
#include <utility>

#include "sylkcore/log.hpp"

namespace sylk::net {
namespace {

void runLogged(const StackThread::Work& work, const std::string& name, const char* what) {
    try {
        work();
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_ERR, "net", "%s: %s failed: %s", name.c_str(), what, e.what());
    } catch (...) {
        SYLK_LOG(LOG_ERR, "net", "%s: %s failed with a non-standard exception", name.c_str(), what);
    }
}

struct TimerData {
    std::shared_ptr<SourceGuard> guard;
    StackThread::Work fire;
    bool repeat;
    std::string name;
};

gboolean fireTimer(gpointer data) {
    auto* timer = static_cast<TimerData*>(data);
    std::lock_guard lock(timer->guard->mutex);
    if (timer->guard->cancelled)
        return G_SOURCE_REMOVE;
    if (!timer->repeat)
        timer->guard->finished = true;
    runLogged(timer->fire, timer->name, "timer");
    return timer->repeat && !timer->guard->cancelled ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

void freeTimer(gpointer data) { delete static_cast<TimerData*>(data); }

}  // namespace

StackThread::StackThread(std::string name) : name_(std::move(name)) {
    context_ = g_main_context_new();
    loop_ = g_main_loop_new(context_, FALSE);
    // The queue's source has no prepare or check: it is ready exactly when its ready time (set
    // to 0 by post) has come.
    static GSourceFuncs queueFuncs = {nullptr, nullptr, &StackThread::dispatchQueue, nullptr, nullptr, nullptr};
    queueSource_ = g_source_new(&queueFuncs, sizeof(GSource));
    g_source_set_callback(queueSource_, nullptr, this, nullptr);
    g_source_set_ready_time(queueSource_, -1);
    g_source_attach(queueSource_, context_);
    thread_ = std::thread([this] { run(); });
    threadId_ = thread_.get_id();
    // Returns once the loop runs, so that a stop() that comes at once cannot be lost (quitting
    // a loop that has not started yet is undone when it starts).
    execute([] {});
}

StackThread::~StackThread() {
    if (onThread())
        g_error("StackThread %s destroyed on its own thread", name_.c_str());  // cannot join itself
    stop();
    g_source_destroy(queueSource_);
    g_source_unref(queueSource_);
    g_main_loop_unref(loop_);
    g_main_context_unref(context_);  // destroys what is still attached (timers of handles kept)
}

bool StackThread::post(Work work) {
    std::lock_guard lock(mutex_);
    if (stopping_)
        return false;  // work is freed on return
    queue_.push_back(std::move(work));
    if (queue_.size() == 1)
        g_source_set_ready_time(queueSource_, 0);  // thread-safe; wakes the loop
    return true;
}

void StackThread::execute(const Work& work) {
    if (onThread()) {
        work();
        return;
    }
    // The promise travels in the queued work: if the work is dropped (stop) without running,
    // the promise is destroyed with it and the wait below ends with broken_promise.
    auto done = std::make_shared<std::promise<void>>();
    auto finished = done->get_future();
    bool ran = false;
    bool queued = post([&work, &ran, done] {
        ran = true;
        try {
            work();
            done->set_value();
        } catch (...) {
            done->set_exception(std::current_exception());
        }
    });
    if (!queued)
        throw std::runtime_error(name_ + " is not running");
    try {
        finished.get();
    } catch (const std::future_error&) {
        if (ran)
            throw;
        throw std::runtime_error(name_ + " stopped before running the work");
    }
}

void StackThread::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    g_main_loop_quit(loop_);  // thread-safe
    if (onThread())
        return;  // the loop ends when this dispatch returns; the destructor joins
    std::lock_guard lock(joinMutex_);  // two threads stopping at once join once
    if (thread_.joinable())
        thread_.join();
}

bool StackThread::stopping() const {
    std::lock_guard lock(mutex_);
    return stopping_;
}

gboolean StackThread::dispatchQueue(GSource*, GSourceFunc, gpointer self) {
    static_cast<StackThread*>(self)->runQueued();
    return G_SOURCE_CONTINUE;
}

void StackThread::runQueued() {
    std::deque<Work> batch;
    {
        std::lock_guard lock(mutex_);
        batch.swap(queue_);
        g_source_set_ready_time(queueSource_, -1);
    }
    // Work posted meanwhile waits for the next dispatch, behind this batch: FIFO holds.
    while (!batch.empty()) {
        if (stopping())
            return;  // the rest is dropped (freed here, on the thread)
        Work work = std::move(batch.front());
        batch.pop_front();
        runLogged(work, name_, "posted work");
    }
}

void StackThread::run() {
    pthread_setname_np(pthread_self(), name_.substr(0, 15).c_str());
    g_main_context_push_thread_default(context_);
    g_main_loop_run(loop_);
    std::deque<Work> dropped;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        dropped.swap(queue_);
    }
    dropped.clear();  // freed on the thread that would have run it
    g_main_context_pop_thread_default(context_);
}

SourceHandle StackThread::addTimer(std::chrono::milliseconds delay, Work fire, bool repeat) {
    GSource* source = g_timeout_source_new(static_cast<guint>(std::max<int64_t>(0, delay.count())));
    auto guard = std::make_shared<SourceGuard>();
    g_source_set_callback(source, fireTimer, new TimerData{guard, std::move(fire), repeat, name_}, freeTimer);
    g_source_attach(source, context_);
    SourceHandle handle(source, std::move(guard));
    g_source_unref(source);
    return handle;
}

SourceHandle StackThread::after(std::chrono::milliseconds delay, Work fire) { return addTimer(delay, std::move(fire), false); }

SourceHandle StackThread::every(std::chrono::milliseconds period, Work fire) { return addTimer(period, std::move(fire), true); }

FdWatch StackThread::watch(int fd, GIOCondition events, FdWatch::Ready ready) {
    return FdWatch::attach(context_, fd, events, std::move(ready));
}

}  // namespace sylk::net
