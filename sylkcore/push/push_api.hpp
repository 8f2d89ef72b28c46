// The Sylk Pushserver compatible REST API (POST /push, POST|DELETE /v2/tokens/{account},
// POST /v2/tokens/{account}/push[/{device}]), so a SIP proxy can ask for pushes for the calls it
// routes. Its own libmicrohttpd listener (thread per connection: a push request waits a
// moment for the service's answer), meant for the proxies' private network: only the
// configured hosts (addresses or CIDR ranges) get in (403), and with an api token configured a
// request must also carry "Authorization: Bearer <token>" (401).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "push_api_request.hpp"
#include "push_service.hpp"
#include "sylkcore/api.hpp"

struct MHD_Daemon;
struct MHD_Connection;

namespace sylk::push {

struct PushApiSettings {
    std::string ip = "127.0.0.1";
    uint16_t port = 0;
    std::vector<std::string> allowedHosts;  // "127.0.0.1", "10.0.0.0/8"; empty: nobody
    std::string apiToken;                   // empty: hosts alone decide
    long waitMs = 3000;                     // how long a push request waits for the result
};

class SYLK_API PushApi {
public:
    // Throws std::invalid_argument for a bad host range, std::runtime_error when it cannot listen.
    PushApi(PushService& service, PushApiSettings settings);
    ~PushApi();
    PushApi(const PushApi&) = delete;
    PushApi& operator=(const PushApi&) = delete;

    struct Answer {
        unsigned status;
        Json body;
    };
    // One request, once its body is in (the daemon's callback; public for the tests' sake).
    Answer handle(const std::string& method, const std::string& path, const std::string& peer,
                  const std::string& authorization, const std::string& body);

private:
    friend struct PushApiCallbacks;
    bool hostAllowed(const std::string& peer) const;
    Answer pushAndWait(const ApiRoute& route, const std::vector<PushTarget>& targets, const PushEvent& event);

    PushService& service_;
    PushApiSettings settings_;
    std::vector<void*> masks_;  // GInetAddressMask*
    MHD_Daemon* daemon_ = nullptr;
};

}  // namespace sylk::push
