// Watches a file descriptor on a StackThread's loop: ready(conditions) runs on the stack thread
// while the fd has one of the watched conditions (level-triggered, as poll()). The fd stays the
// caller's; destroying the watch stops the callbacks (see SourceHandle).
#pragma once

#include <glib.h>

#include <functional>

#include "source_handle.hpp"

namespace sylk::net {

class SYLK_API FdWatch : public SourceHandle {
public:
    using Ready = std::function<void(GIOCondition)>;

    FdWatch() = default;
    static FdWatch attach(GMainContext* context, int fd, GIOCondition events, Ready ready);

    // What to wait for from now on (G_IO_IN, G_IO_OUT, ...; 0: nothing for now). Stack thread only.
    void setEvents(GIOCondition events);
    GIOCondition events() const { return events_; }

private:
    FdWatch(GSource* source, std::shared_ptr<SourceGuard> guard, gpointer tag, GIOCondition events);
    gpointer tag_ = nullptr;
    GIOCondition events_ = GIOCondition(0);
};

}  // namespace sylk::net
