#include "source_handle.hpp"

#include <utility>

namespace sylk::net {

SourceHandle::SourceHandle(GSource* source, std::shared_ptr<SourceGuard> guard)
    : source_(g_source_ref(source)), guard_(std::move(guard)) {}

SourceHandle::SourceHandle(SourceHandle&& other) noexcept
    : source_(std::exchange(other.source_, nullptr)), guard_(std::move(other.guard_)) {}

SourceHandle& SourceHandle::operator=(SourceHandle&& other) noexcept {
    if (this != &other) {
        cancel();
        source_ = std::exchange(other.source_, nullptr);
        guard_ = std::move(other.guard_);
    }
    return *this;
}

void SourceHandle::cancel() {
    if (!source_)
        return;
    {
        // Waits for a callback running on the stack thread; on that thread (the callback
        // cancelling itself) the recursive lock is already ours.
        std::lock_guard lock(guard_->mutex);
        guard_->cancelled = true;
    }
    g_source_destroy(source_);  // thread-safe; a no-op once the context is gone
    g_source_unref(source_);
    source_ = nullptr;
    guard_.reset();
}

bool SourceHandle::active() const {
    if (!source_)
        return false;
    std::lock_guard lock(guard_->mutex);
    return !guard_->cancelled && !guard_->finished && !g_source_is_destroyed(source_);
}

}  // namespace sylk::net
