// Every C entry point Janus calls goes through guard(): an exception that a plugin lets escape
// is logged and turned into the entry point's failure value. No exception crosses into Janus.
#pragma once

#include <exception>

#include "../log.hpp"

namespace sylk::janus {

template <class Fn, class Fallback>
auto guard(const char* where, Fn&& fn, Fallback&& fallback) noexcept -> decltype(fn()) {
    try {
        return fn();
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_ERR, "guard", "%s: %s", where, e.what());
    } catch (...) {
        SYLK_LOG(LOG_ERR, "guard", "%s: non-standard exception", where);
    }
    try {
        return fallback();
    } catch (...) {
        return decltype(fn())();
    }
}

}  // namespace sylk::janus
