#include "background_writer.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <system_error>

#include "sylkcore/buffer_pool.hpp"

namespace sylk::files {

namespace {

constexpr size_t kStageBytes = DirectStageWriter::kStageBytes;

// EXPERIMENT (not to be committed): the write mode from the environment.
bool experimentDirect() {
    const char* mode = getenv("SYLK_FILE_WRITE");
    return !mode || strcmp(mode, "buffered") != 0;
}
bool experimentSync() {
    const char* sync = getenv("SYLK_FILE_SYNC");
    return sync && strcmp(sync, "1") == 0;
}

}  // namespace

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
    stages_.reset();  // the disk's thread too (a write in progress ends), before the owner closes fd
    if (direct_) {  // the descriptor is the owner's: as it was given
        int flags = fcntl(fd_, F_GETFL);
        if (flags >= 0)
            fcntl(fd_, F_SETFL, flags & ~O_DIRECT);
    }
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
    if (!error_)
        error_ = flushStage();  // the tail under a stage's size (the thread is gone: ours now)
    if (!error_ && experimentSync() && fdatasync(fd_) != 0)
        error_ = errno;
    throwIfFailed();
    return inOrder_ ? checksum_.hex() : "";
}

size_t BackgroundWriter::queuedBytes() const {
    std::lock_guard lock(mutex_);
    return queuedBytes_;
}

void BackgroundWriter::run() {
    pthread_setname_np(pthread_self(), "sylk-file-write");  // not the creator's ("msrp"): told apart in top, perf
    int flags = fcntl(fd_, F_GETFL);
    if (experimentDirect() && flags >= 0 && (flags & O_ACCMODE) != O_RDONLY) {
        try {
            stages_ = std::make_unique<DirectStageWriter>(fd_);
            // EINVAL where the file system has no direct IO (tmpfs before Linux 6.6, some FUSE):
            // every piece goes buffered then.
            direct_ = fcntl(fd_, F_SETFL, flags | O_DIRECT) == 0;
        } catch (const std::exception&) {
            direct_ = false;  // no memory for the stages (or no thread): buffered, as without O_DIRECT
        }
        if (!direct_)
            stages_.reset();
    }
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
        int failed = writePiece(piece);
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

}  // namespace sylk::files

namespace sylk::files {

int BackgroundWriter::writePiece(const Piece& piece) {
    if (direct_ && piece.offset == stageOffset_ + staged_)
        return stage(piece.bytes);
    if (int failed = flushStage())  // out of order: what is staged goes first, then all buffered
        return failed;
    return DirectStageWriter::writeFully(fd_, piece.bytes.data(), piece.bytes.size(), piece.offset);
}

int BackgroundWriter::stage(std::string_view bytes) {
    if (int failed = stages_->error())  // a stage handed over earlier
        return failed;
    while (!bytes.empty()) {
        if (!stage_)
            stage_ = stages_->acquire();  // waits while the disk has every stage
        size_t take = std::min(kStageBytes - staged_, bytes.size());
        memcpy(stage_ + staged_, bytes.data(), take);
        staged_ += take;
        bytes.remove_prefix(take);
        if (staged_ < kStageBytes)
            break;
        stages_->submit(stage_, staged_, stageOffset_);
        stage_ = nullptr;
        stageOffset_ += staged_;
        staged_ = 0;
    }
    return 0;
}

int BackgroundWriter::flushStage() {
    if (!direct_)
        return 0;
    direct_ = false;
    // The stages handed over first: a buffered write after them may cover the same bytes (a
    // piece sent again), and must land last.
    int failed = stages_->drain();
    int flags = fcntl(fd_, F_GETFL);
    if (flags < 0 || fcntl(fd_, F_SETFL, flags & ~O_DIRECT) != 0)
        failed = failed ? failed : errno;
    if (!failed && staged_ > 0)
        failed = DirectStageWriter::writeFully(fd_, stage_, staged_, stageOffset_);
    stageOffset_ += staged_;
    staged_ = 0;
    stage_ = nullptr;
    stages_.reset();
    return failed;
}

}  // namespace sylk::files
