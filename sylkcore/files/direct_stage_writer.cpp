#include "direct_stage_writer.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <new>

namespace sylk::files {

namespace {

constexpr size_t kAlignment = 4096;  // of the stages: the largest logical block size in use

int writeAt(int fd, const char* data, size_t size, uint64_t offset) {
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

}  // namespace

void DirectStageWriter::AlignedFree::operator()(char* p) const { free(p); }

DirectStageWriter::DirectStageWriter(int fd, size_t stageBytes, size_t stageCount)
    : fd_(fd), stageBytes_(stageBytes) {
    for (size_t i = 0; i < stageCount; ++i) {
        void* stage = nullptr;
        if (posix_memalign(&stage, kAlignment, stageBytes) != 0)
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
        queue_.clear();
    }
    work_.notify_one();
    if (thread_.joinable())
        thread_.join();
}

char* DirectStageWriter::take() {
    std::unique_lock lock(mutex_);
    returned_.wait(lock, [this] { return !free_.empty(); });
    char* stage = free_.back();
    free_.pop_back();
    return stage;
}

void DirectStageWriter::submit(char* stage, size_t size, uint64_t offset) {
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(Pending{stage, size, offset});
    }
    work_.notify_one();
}

int DirectStageWriter::drain() {
    std::unique_lock lock(mutex_);
    returned_.wait(lock, [this] { return queue_.empty() && !busy_; });
    return error_;
}

int DirectStageWriter::failed() {
    std::lock_guard lock(mutex_);
    return error_;
}

void DirectStageWriter::run() {
    pthread_setname_np(pthread_self(), "sylk-file-disk");  // apart from "sylk-file-write" in top, perf
    while (true) {
        Pending pending;
        {
            std::unique_lock lock(mutex_);
            work_.wait(lock, [this] { return stop_ || !queue_.empty(); });
            if (stop_)
                return;
            pending = queue_.front();
            queue_.pop_front();
            busy_ = true;
        }
        int failed = 0;
        {
            std::lock_guard lock(mutex_);
            failed = error_;  // after a failure nothing more is written: the file is lost anyway
        }
        if (!failed)
            failed = writeOut(pending);
        {
            std::lock_guard lock(mutex_);
            free_.push_back(pending.stage);
            busy_ = false;
            if (failed && !error_)
                error_ = failed;
        }
        returned_.notify_all();
    }
}

int DirectStageWriter::writeOut(const Pending& pending) {
    int failed = writeAt(fd_, pending.stage, pending.size, pending.offset);
    if (failed != EINVAL)
        return failed;
    // Took O_DIRECT at fcntl() but refuses the write: buffered from here (the owner restores
    // the descriptor's flags either way).
    int flags = fcntl(fd_, F_GETFL);
    if (flags < 0 || fcntl(fd_, F_SETFL, flags & ~O_DIRECT) != 0)
        return errno;
    return writeAt(fd_, pending.stage, pending.size, pending.offset);
}

}  // namespace sylk::files
