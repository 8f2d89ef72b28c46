// Fuzz target: what the push code parses from outside (sylkcore/push). The first byte picks
// the reader: "0" an RFC 8599 Contact (pn-provider, pn-prid, pn-param), "1" a REST route
// ("<METHOD> <path>"), "2" a token body, "3" a push event body, "4" a DELETE body. Each either
// refuses with an error message or yields a value that keeps its invariants (checked: abort).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "sylkcore/push/pn_params.hpp"
#include "sylkcore/push/push_api_request.hpp"

using namespace sylk;
using namespace sylk::push;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1)
        return 0;
    std::string input(reinterpret_cast<const char*>(data) + 1, size - 1);
    std::string error;
    switch (data[0]) {
    case '0': {
        auto target = parsePnParams(input, &error);
        if (target) {
            if ((target->provider != "apns" && target->provider != "fcm") || target->token.empty() ||
                target->token.size() > kMaxPushTokenLength || target->app.empty() || !error.empty())
                abort();
        }
        break;
    }
    case '1': {
        size_t space = input.find(' ');
        if (space == std::string::npos)
            break;
        ApiRoute route = routeOf(input.substr(0, space), input.substr(space + 1));
        // Routes under /v2/tokens/ name an account with no '/'; /push (and its 405) names none.
        bool namesAccount = route.kind == ApiRoute::Kind::AddToken || route.kind == ApiRoute::Kind::RemoveToken ||
                            route.kind == ApiRoute::Kind::PushAccount;
        if (namesAccount && route.account.empty())
            abort();
        if (route.account.find('/') != std::string::npos || (route.kind == ApiRoute::Kind::Push && !route.account.empty()))
            abort();
        break;
    }
    case '2': {
        auto target = readTokenBody(Json::parse(input), "a@b", &error);
        if (target && (target->token.empty() || target->device.empty() || target->provider.empty()))
            abort();
        if (!target && error.empty())
            abort();
        break;
    }
    case '3': {
        auto event = readEventBody(Json::parse(input), &error);
        if (!event && error.empty())
            abort();
        if (event && (event->badge < 0 || event->mediaType.empty()))
            abort();
        break;
    }
    case '4': {
        std::string app, device;
        if (readRemoveBody(Json::parse(input), app, device, &error) && device.empty())
            abort();
        break;
    }
    default:
        break;
    }
    return 0;
}
