#include "services.hpp"

#include "../request_error.hpp"

namespace sylk::hub {

Services& Services::instance() {
    static Services services;
    return services;
}

void Services::offer(const std::string& name, Handler handler) {
    std::lock_guard lock(mutex_);
    handlers_[name] = std::move(handler);
}

void Services::withdraw(const std::string& name) {
    std::lock_guard lock(mutex_);
    handlers_.erase(name);
}

bool Services::offered(const std::string& name) const {
    std::lock_guard lock(mutex_);
    return handlers_.count(name) > 0;
}

Json Services::call(const std::string& name, const Json& request) const {
    Handler handler;
    {
        std::lock_guard lock(mutex_);
        auto it = handlers_.find(name);
        if (it == handlers_.end())
            throw RequestError(ErrorCode::NotFound, "no plugin offers '" + name + "'");
        handler = it->second;  // called without the lock: it may take long or call back in
    }
    return handler(request);
}

}  // namespace sylk::hub
