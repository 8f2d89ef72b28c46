#include "fd_watch.hpp"

#include <exception>
#include <utility>

#include "sylkcore/log.hpp"

namespace sylk::net {
namespace {

// A GSource that polls one fd (g_source_add_unix_fd lets the watched conditions change, which
// g_unix_fd_source_new does not).
struct WatchSource {
    GSource base;
    gpointer tag;
    std::shared_ptr<SourceGuard>* guard;
    FdWatch::Ready* ready;
};

gboolean dispatchWatch(GSource* source, GSourceFunc, gpointer) {
    auto* watch = reinterpret_cast<WatchSource*>(source);
    auto conditions = g_source_query_unix_fd(source, watch->tag);
    if (conditions == 0)
        return G_SOURCE_CONTINUE;
    std::shared_ptr<SourceGuard> guard = *watch->guard;  // the callback may drop the handle
    std::lock_guard lock(guard->mutex);
    if (guard->cancelled)
        return G_SOURCE_REMOVE;
    try {
        (*watch->ready)(conditions);
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_ERR, "net", "fd watch callback failed: %s", e.what());
    } catch (...) {
        SYLK_LOG(LOG_ERR, "net", "fd watch callback failed");
    }
    return G_SOURCE_CONTINUE;
}

void finalizeWatch(GSource* source) {
    auto* watch = reinterpret_cast<WatchSource*>(source);
    delete watch->guard;
    delete watch->ready;
}

GSourceFuncs watchFuncs = {nullptr, nullptr, dispatchWatch, finalizeWatch, nullptr, nullptr};

}  // namespace

FdWatch::FdWatch(GSource* source, std::shared_ptr<SourceGuard> guard, gpointer tag, GIOCondition events)
    : SourceHandle(source, std::move(guard)), tag_(tag), events_(events) {}

FdWatch FdWatch::attach(GMainContext* context, int fd, GIOCondition events, Ready ready) {
    GSource* source = g_source_new(&watchFuncs, sizeof(WatchSource));
    auto* watch = reinterpret_cast<WatchSource*>(source);
    auto guard = std::make_shared<SourceGuard>();
    watch->guard = new std::shared_ptr<SourceGuard>(guard);
    watch->ready = new Ready(std::move(ready));
    watch->tag = g_source_add_unix_fd(source, fd, events);
    g_source_attach(source, context);
    FdWatch handle(source, std::move(guard), watch->tag, events);
    g_source_unref(source);  // the handle and the context hold it now
    return handle;
}

void FdWatch::setEvents(GIOCondition events) {
    if (!source() || events == events_)
        return;
    events_ = events;
    g_source_modify_unix_fd(source(), tag_, events);
}

}  // namespace sylk::net
