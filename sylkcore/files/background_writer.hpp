// Writes a file's pieces and computes its SHA-1 on a thread of its own, so that the thread a file
// arrives on (an MSRP stack thread, shared by every session on it) spends its time on the network:
// on this project's machines the page-cache copy of pwrite() and the SHA-1 of a 50 MB upload were
// two thirds of the MSRP thread's time for it.
//
// Pieces are queued (moved in, no copy) and written in order of arrival; while the pieces come in
// order the hash is computed on the way, otherwise the owner hashes the file from disk at the end
// (hashedInOrder() false). The queue is bounded: write() waits while queuedBytes() is past the
// bound, so a slow disk pushes back on the network (as writing on the caller's thread did) and
// memory stays bounded. A write error is kept and thrown by the next write() or by finish().
//
// The pieces go into the page cache with plain pwrite(), as SylkServer and our HTTP uploads write
// a file: a just-announced room file is what its room pulls next, and a pull then sendfile()s it
// from memory. No fdatasync: a stored file survives janus, not a power cut of the host (the
// promise of the success REPORT, docs/msrp-api.md). An O_DIRECT writer (stages on a thread of
// their own) was measured against this and dropped: the same upload speed, half the pull speed
// (docs/decisions.md "MSRP file uploads go through the page cache again").
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "../api.hpp"
#include "sha1_hasher.hpp"

namespace sylk::files {

class SYLK_API BackgroundWriter {
public:
    // fd: open for writing, owned by the caller and kept open until finish() or destruction.
    explicit BackgroundWriter(int fd, size_t maxQueuedBytes = 8 * 1024 * 1024);
    // Stops the thread; pieces still queued are dropped (the owner discards the file).
    ~BackgroundWriter();
    BackgroundWriter(const BackgroundWriter&) = delete;
    BackgroundWriter& operator=(const BackgroundWriter&) = delete;

    // Queues bytes for offset; throws std::system_error with the errno of an earlier failed write.
    void write(uint64_t offset, std::string bytes);
    // Waits until every queued piece is written and stops the thread; throws as write() does.
    // Then: the SHA-1 of the pieces (40 lower-case hex digits) when they came in order from 0
    // without gaps, else "" (the owner hashes the file from disk).
    std::string finish();
    size_t queuedBytes() const;

private:
    struct Piece {
        uint64_t offset;
        std::string bytes;
    };
    void run();
    void throwIfFailed() const;
    // pwrite() until every byte is written: 0, or the errno (EIO for a write of nothing).
    static int writeFully(int fd, const char* data, size_t size, uint64_t offset);

    int fd_;
    size_t maxQueuedBytes_;
    mutable std::mutex mutex_;
    std::condition_variable work_;   // a piece came, or stop
    std::condition_variable space_;  // a piece was written (room in the queue, or drained)
    std::deque<Piece> queue_;
    size_t queuedBytes_ = 0;
    bool busy_ = false;  // the thread is writing a piece it took off the queue
    bool stop_ = false;
    int error_ = 0;      // errno of the first failed write
    // The writer thread's own (no lock): the hash of the pieces while they came in order.
    Sha1Hasher checksum_;
    uint64_t hashedUpTo_ = 0;
    bool inOrder_ = true;
    std::thread thread_;  // last: started once everything above exists
};

}  // namespace sylk::files
