// The audio mixer's thread for talking to other cluster nodes about remote legs (hub services
// cluster.call and cluster.send, docs/cluster.md "Audio across nodes"). cluster.call blocks its
// caller until the other node answers (up to its timeout); the mixer's control loop serves the
// other nodes' calls (audiomixer.remote.*), so it must never make one itself: two nodes calling
// each other from their loops would each wait for the other. The loop posts jobs here and gets
// the answers back as posts of its own. The thread also wakes the loop every `tickMs` (retries,
// legs that went silent), since the control loop has no timers.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace sylk::audiomixer {

class LegDialer {
public:
    using Job = std::function<void()>;

    // onTick runs on this thread every tickMs; it must only post and return.
    LegDialer(int tickMs, Job onTick);
    ~LegDialer();  // stop()
    LegDialer(const LegDialer&) = delete;
    LegDialer& operator=(const LegDialer&) = delete;

    // Queues a job (it must not throw); dropped once stopping.
    void post(Job job);
    // Ends the thread after the job under way (at most a cluster.call's timeout); queued jobs
    // are dropped. Idempotent.
    void stop();

private:
    void run();

    const int tickMs_;
    Job onTick_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Job> jobs_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace sylk::audiomixer
