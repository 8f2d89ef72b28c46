// Writes a BackgroundWriter's full direct IO stages on a thread of its own, so that the disk's
// time overlaps the hashing and copying of the next stages instead of following them.
//
// Why: an O_DIRECT write waits for the device and costs no CPU (on this project's VMs, 50 MB in
// 1 MiB direct writes take 40-50 ms, 0.8-1 ms/MB), and a file's writer thread spent as long
// blocked in those writes as in SHA-1 (timed in the writer of a 50 MB upload: 38-65 ms in pwrite,
// 32-45 ms hashing, ~2 ms idle): the two in turn were what an upload waited for.
//
// A few aligned stages (kStages of kStageBytes) go round: the owner fills one (acquire), hands
// it over (submit), and takes the next; acquire() waits while every stage is queued or being
// written, so a slow disk still pushes back on the owner and memory stays bounded. Stages are
// written in order of submission, one at a time. A file system that refuses a direct write with
// EINVAL (it took O_DIRECT at fcntl() time) gets that stage and the later ones buffered: O_DIRECT
// is taken off the descriptor. The first error is kept (error(), drain()); stages after it are
// not written.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "../api.hpp"

namespace sylk::files {

class SYLK_API DirectStageWriter {
public:
    static constexpr size_t kStageBytes = 1024 * 1024;  // a direct write's size, and the alignment of its offset
    static constexpr size_t kStageAlignment = 4096;     // of the buffers: the largest logical block size in use
    static constexpr size_t kStages = 4;                 // one being written, the others filled or waiting

    // fd: open for writing with O_DIRECT, owned by the caller, open until drain() or destruction.
    // Throws std::bad_alloc when the stages cannot be allocated.
    explicit DirectStageWriter(int fd);
    // Waits for the write in progress; stages still queued are dropped (the owner discards the file).
    ~DirectStageWriter();
    DirectStageWriter(const DirectStageWriter&) = delete;
    DirectStageWriter& operator=(const DirectStageWriter&) = delete;

    // A free stage of kStageBytes to fill; waits while none is free.
    char* acquire();
    // Queues size bytes of stage (from acquire()) for the file offset.
    void submit(char* stage, size_t size, uint64_t offset);
    // Waits until every submitted stage is written; the errno of the first failed write, or 0.
    int drain();
    // The errno of a failed write so far, or 0 (does not wait).
    int error() const;

    // pwrite() until size bytes are written: 0, or the errno (EIO for a write of nothing).
    static int writeFully(int fd, const char* data, size_t size, uint64_t offset);

private:
    struct Job {
        char* stage;
        size_t size;
        uint64_t offset;
    };
    struct AlignedFree {
        void operator()(char* p) const;
    };
    void run();
    int write(const Job& job);

    int fd_;
    std::vector<std::unique_ptr<char[], AlignedFree>> stages_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;  // a job queued or done, or stop
    std::vector<char*> free_;
    std::deque<Job> jobs_;
    bool busy_ = false;  // the thread is writing a job it took off the queue
    bool stop_ = false;
    int error_ = 0;
    std::thread thread_;  // last: started once everything above exists
};

}  // namespace sylk::files
