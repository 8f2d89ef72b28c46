// Named calls between plugins, process-wide like the hub: a plugin offers a service (for
// example "audiomixer.attach_rtp", which takes a plain RTP leg into a mixing room), another
// plugin calls it with JSON and gets JSON back. The provider chooses the thread its handler
// runs on (typically its control loop, with the caller waiting); a handler refuses with
// RequestError. A plugin must not call a service it offers from its own control loop.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "../api.hpp"
#include "../json.hpp"

namespace sylk::hub {

class SYLK_API Services {
public:
    using Handler = std::function<Json(const Json& request)>;

    static Services& instance();

    void offer(const std::string& name, Handler handler);
    void withdraw(const std::string& name);
    bool offered(const std::string& name) const;
    // Throws RequestError(NotFound) when nobody offers name, or whatever the handler throws.
    Json call(const std::string& name, const Json& request) const;

private:
    mutable std::mutex mutex_;
    std::map<std::string, Handler> handlers_;
};

}  // namespace sylk::hub
