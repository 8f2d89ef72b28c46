// The RAII handle of a timer or an fd watch on a StackThread: destroying it (or cancel()) stops
// the callback for good. Cancelling from another thread waits for a callback that is running at
// that moment, so once cancel() returns nothing the callback uses may still be touched; the
// callback may cancel its own handle.
#pragma once

#include <glib.h>

#include <memory>
#include <mutex>
#include <thread>

#include "sylkcore/api.hpp"

namespace sylk::net {

// Shared by a handle and its callback: the callback runs under the lock and only while not
// cancelled. Recursive, so a callback can cancel its own handle.
struct SourceGuard {
    std::recursive_mutex mutex;
    bool cancelled = false;
    bool finished = false;  // a one-shot timer that fired
};

class SYLK_API SourceHandle {
public:
    SourceHandle() = default;
    // Takes a reference to source (attached, with guard shared by its callback).
    SourceHandle(GSource* source, std::shared_ptr<SourceGuard> guard);
    ~SourceHandle() { cancel(); }
    SourceHandle(SourceHandle&& other) noexcept;
    SourceHandle& operator=(SourceHandle&& other) noexcept;
    SourceHandle(const SourceHandle&) = delete;
    SourceHandle& operator=(const SourceHandle&) = delete;

    void cancel();
    // Still to fire (a timer) or watching (an fd watch).
    bool active() const;

protected:
    GSource* source() const { return source_; }

private:
    GSource* source_ = nullptr;
    std::shared_ptr<SourceGuard> guard_;
};

}  // namespace sylk::net
