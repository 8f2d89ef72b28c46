#include "buffer_pool.hpp"

#include <utility>

namespace sylk {

BufferPool& BufferPool::chunks() {
    static BufferPool pool;
    return pool;
}

std::string BufferPool::take(size_t capacity) {
    {
        std::lock_guard lock(mutex_);
        // The most recently given back first: its pages are the likeliest still in the caches.
        for (auto it = kept_.rbegin(); it != kept_.rend(); ++it) {
            if (it->capacity() >= capacity && it->capacity() / 2 <= capacity) {
                std::string buffer = std::move(*it);
                kept_.erase(std::next(it).base());
                keptBytes_ -= buffer.capacity();
                buffer.clear();
                return buffer;
            }
        }
    }
    std::string buffer;
    buffer.reserve(capacity);
    return buffer;
}

void BufferPool::give(std::string&& buffer) {
    if (buffer.capacity() < kMinCapacity || buffer.capacity() > kMaxCapacity)
        return;  // freed by the caller's string as before
    std::string kept = std::move(buffer);
    std::lock_guard lock(mutex_);
    if (kept_.size() < kKeptBuffers && keptBytes_ + kept.capacity() <= kKeptBytes) {
        keptBytes_ += kept.capacity();
        kept_.push_back(std::move(kept));
    }
}

size_t BufferPool::kept() const {
    std::lock_guard lock(mutex_);
    return kept_.size();
}

}  // namespace sylk
