#include "background_writer.hpp"

#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "sylkcore/buffer_pool.hpp"

namespace sylk::files {

BackgroundWriter::BackgroundWriter(int fd, size_t maxQueuedBytes)
    : fd_(fd), maxQueuedBytes_(maxQueuedBytes), thread_([this] { run(); }) {}

BackgroundWriter::~BackgroundWriter() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
        queue_.clear();
        queuedBytes_ = 0;
    }
    work_.notify_one();
    if (thread_.joinable())
        thread_.join();
}

void BackgroundWriter::throwIfFailed() const {
    if (error_)
        throw std::system_error(error_, std::generic_category(), "cannot store the file");
}

void BackgroundWriter::write(uint64_t offset, std::string bytes) {
    if (bytes.empty())
        return;
    std::unique_lock lock(mutex_);
    // Past the bound: wait for the disk (the caller's connection is not read meanwhile, and TCP
    // pushes back on the sender).
    space_.wait(lock, [this] { return error_ || stop_ || queuedBytes_ < maxQueuedBytes_; });
    throwIfFailed();
    queuedBytes_ += bytes.size();
    queue_.push_back(Piece{offset, std::move(bytes)});
    lock.unlock();
    work_.notify_one();
}

std::string BackgroundWriter::finish() {
    {
        std::unique_lock lock(mutex_);
        space_.wait(lock, [this] { return error_ || (queue_.empty() && !busy_); });
        stop_ = true;
    }
    work_.notify_one();
    if (thread_.joinable())
        thread_.join();
    throwIfFailed();
    return inOrder_ ? checksum_.hex() : "";
}

size_t BackgroundWriter::queuedBytes() const {
    std::lock_guard lock(mutex_);
    return queuedBytes_;
}

void BackgroundWriter::run() {
    pthread_setname_np(pthread_self(), "sylk-file-write");  // not the creator's ("msrp"): told apart in top, perf
    while (true) {
        Piece piece;
        {
            std::unique_lock lock(mutex_);
            work_.wait(lock, [this] { return stop_ || !queue_.empty(); });
            if (queue_.empty() || error_)
                return;  // stopped (finish() waits for the queue to empty first)
            piece = std::move(queue_.front());
            queue_.pop_front();
            busy_ = true;
        }
        int failed = writeFully(fd_, piece.bytes.data(), piece.bytes.size(), piece.offset);
        if (!failed && inOrder_ && piece.offset == hashedUpTo_) {
            checksum_.update(piece.bytes);
            hashedUpTo_ += piece.bytes.size();
        } else {
            inOrder_ = false;  // out of order (or again): the owner hashes the file from disk
        }
        size_t written = piece.bytes.size();
        BufferPool::chunks().give(std::move(piece.bytes));  // an MSRP chunk's body: for the next chunk
        {
            std::lock_guard lock(mutex_);
            queuedBytes_ -= written;
            busy_ = false;
            if (failed && !error_)
                error_ = failed;
        }
        space_.notify_all();
    }
}

int BackgroundWriter::writeFully(int fd, const char* data, size_t size, uint64_t offset) {
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
