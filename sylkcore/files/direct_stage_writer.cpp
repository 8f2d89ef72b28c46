#include "direct_stage_writer.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <new>

namespace sylk::files {

void DirectStageWriter::AlignedFree::operator()(char* p) const { free(p); }

DirectStageWriter::DirectStageWriter(int fd) : fd_(fd) {
    for (size_t i = 0; i < kStages; ++i) {
        void* stage = nullptr;
        if (posix_memalign(&stage, kStageAlignment, kStageBytes) != 0)
            throw std::bad_alloc();
        stages_.emplace_back(static_cast<char*>(stage));
        free_.push_back(stages_.back().get());
    }
    thread_ = std::thread([this] { run(); });
}

DirectStageWriter::~DirectStageWriter() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
        jobs_.clear();
    }
    changed_.notify_all();
    if (thread_.joinable())
        thread_.join();
}

char* DirectStageWriter::acquire() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !free_.empty(); });
    char* stage = free_.back();
    free_.pop_back();
    return stage;
}

void DirectStageWriter::submit(char* stage, size_t size, uint64_t offset) {
    {
        std::lock_guard lock(mutex_);
        jobs_.push_back(Job{stage, size, offset});
    }
    changed_.notify_all();
}

int DirectStageWriter::drain() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return jobs_.empty() && !busy_; });
    return error_;
}

int DirectStageWriter::error() const {
    std::lock_guard lock(mutex_);
    return error_;
}

void DirectStageWriter::run() {
    pthread_setname_np(pthread_self(), "sylk-file-disk");  // told apart from the writer in top, perf
    while (true) {
        Job job;
        bool skip;
        {
            std::unique_lock lock(mutex_);
            changed_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
            if (stop_)
                return;
            job = jobs_.front();
            jobs_.pop_front();
            busy_ = true;
            skip = error_ != 0;  // after a failure nothing more is written: the file is discarded
        }
        int failed = skip ? 0 : write(job);
        {
            std::lock_guard lock(mutex_);
            if (failed && !error_)
                error_ = failed;
            free_.push_back(job.stage);
            busy_ = false;
        }
        changed_.notify_all();
    }
}

int DirectStageWriter::write(const Job& job) {
    int failed = writeFully(fd_, job.stage, job.size, job.offset);
    if (failed != EINVAL)
        return failed;
    // The file system took O_DIRECT at fcntl() but refuses the write: buffered from here on (the
    // owner's later writes, its tail included, find the flag off).
    int flags = fcntl(fd_, F_GETFL);
    if (flags < 0 || !(flags & O_DIRECT) || fcntl(fd_, F_SETFL, flags & ~O_DIRECT) != 0)
        return failed;
    return writeFully(fd_, job.stage, job.size, job.offset);
}

int DirectStageWriter::writeFully(int fd, const char* data, size_t size, uint64_t offset) {
    for (size_t written = 0; written < size;) {
        ssize_t n = pwrite(fd, data + written, size - written, static_cast<off_t>(offset + written));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? errno : EIO;
        written += static_cast<size_t>(n);
    }
    return 0;
}

}  // namespace sylk::files
