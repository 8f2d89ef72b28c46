// Writes whole aligned stages of a file with O_DIRECT on a thread of its own, in order, while the
// thread that fills them (files::BackgroundWriter's) copies and hashes the next pieces.
//
// A direct write waits for the device (on this project's VMs ~1 ms per 1 MiB stage, about what
// the SHA-1 and the copy into the stage of that MiB cost): done on the filling thread, the two
// added up, and the file bench's upload was paced by their sum. With a few stages in turn the
// disk's wait and the hashing overlap. The stages are this class's: take() hands out a free one
// (waiting while all are queued or being written), submit() queues it, the thread gives it back.
//
// A write the file system refuses with EINVAL (it took O_DIRECT at fcntl() but not the write:
// some FUSE, tmpfs) turns O_DIRECT off for the descriptor and is done buffered, as are the ones
// after it. The first other error is kept: drain() returns it, later stages are not written.
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
    // fd: open for writing with O_DIRECT on, owned by the caller and kept open until destruction.
    // Throws std::bad_alloc when the aligned stages cannot be had.
    DirectStageWriter(int fd, size_t stageBytes, size_t stageCount);
    // Stops the thread; stages still queued are not written (the owner discards the file).
    ~DirectStageWriter();
    DirectStageWriter(const DirectStageWriter&) = delete;
    DirectStageWriter& operator=(const DirectStageWriter&) = delete;

    size_t stageBytes() const { return stageBytes_; }
    // A stage to fill (stageBytes() long, aligned for direct IO); waits for one to come back.
    char* take();
    // Queues a stage from take() to be written at offset (size: a multiple of the alignment
    // for a direct write); the stage comes back to take() once written.
    void submit(char* stage, size_t size, uint64_t offset);
    // Waits until every submitted stage is written; the errno of the first failed write, or 0.
    int drain();
    // The errno of the first failed write so far, or 0 (without waiting).
    int failed();

private:
    struct Pending {
        char* stage;
        size_t size;
        uint64_t offset;
    };
    struct AlignedFree {
        void operator()(char* p) const;
    };
    void run();
    int writeOut(const Pending& pending);

    int fd_;
    size_t stageBytes_;
    std::vector<std::unique_ptr<char[], AlignedFree>> stages_;
    std::mutex mutex_;
    std::condition_variable work_;      // a stage was submitted, or stop
    std::condition_variable returned_;  // a stage was written (free again), or the queue drained
    std::deque<Pending> queue_;
    std::vector<char*> free_;
    bool busy_ = false;  // the thread is writing a stage it took off the queue
    bool stop_ = false;
    int error_ = 0;
    std::thread thread_;  // last: started once everything above exists
};

}  // namespace sylk::files
