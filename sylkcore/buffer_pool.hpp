// Recycled byte buffers for file chunks: an MSRP chunk's body is gathered by the parser on the
// stack thread and freed on a file's writer thread once written. A fresh 64 KiB allocation per
// chunk costs more than it seems on this project's VMs: freed memory goes back to the kernel and
// its pages are faulted in again (from the host, on first touch) by the next chunk's copy; perf
// of the file bench's upload showed the stack thread's copy into each body as its largest item.
// A buffer given back here is handed out again, warm, by the next take() that it fits.
//
// Bounded: at most kKeptBuffers buffers, kKeptBytes of capacity in all, are kept; the rest are
// freed as before. take() hands out none more than twice the size asked for (a small chunk does
// not hold a big buffer). Thread-safe (one mutex; one take and one give per chunk).
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "api.hpp"

namespace sylk {

class SYLK_API BufferPool {
public:
    static constexpr size_t kKeptBuffers = 192;               // of 64 KiB chunks: 12 MiB
    static constexpr size_t kKeptBytes = 16 * 1024 * 1024;    // the writers' queues (8 MiB each) and more
    static constexpr size_t kMinCapacity = 16 * 1024;          // smaller ones are cheap to allocate
    static constexpr size_t kMaxCapacity = 4 * 1024 * 1024 + 4096;  // the parser's largest chunk

    // The pool file chunks' bodies come from and go back to.
    static BufferPool& chunks();

    // An empty string with room for at least capacity bytes: the last given back that fits, or new.
    std::string take(size_t capacity);
    // Keeps buffer for a later take() (its content is dropped), or frees it past the bounds.
    void give(std::string&& buffer);
    size_t kept() const;

private:
    mutable std::mutex mutex_;
    std::vector<std::string> kept_;
    size_t keptBytes_ = 0;  // their capacities
};

}  // namespace sylk
