#include "stox_errors.hpp"

#include <utility>

namespace sylk::xmpp {

int sipStatusOfCondition(std::string_view condition) {
    static constexpr std::pair<std::string_view, int> kTable[] = {
        {"bad-request", 400},           {"conflict", 400},
        {"feature-not-implemented", 405}, {"forbidden", 403},
        {"gone", 410},                  {"internal-server-error", 500},
        {"item-not-found", 404},        {"jid-malformed", 400},
        {"not-acceptable", 406},        {"not-allowed", 403},
        {"not-authorized", 401},        {"policy-violation", 403},
        {"recipient-unavailable", 480}, {"redirect", 302},
        {"registration-required", 400}, {"remote-server-not-found", 404},
        {"remote-server-timeout", 408}, {"resource-constraint", 500},
        {"service-unavailable", 503},   {"subscription-required", 400},
        {"undefined-condition", 400},   {"unexpected-request", 491},
    };
    for (const auto& [name, status] : kTable) {
        if (name == condition)
            return status;
    }
    return 500;
}

StanzaErrorKind conditionOfSipStatus(int status) {
    switch (status) {
    case 400: case 402: case 415: case 416: case 420: case 421: case 423: case 489: case 493:
        return {"modify", "bad-request"};
    case 401:
        return {"auth", "not-authorized"};
    case 403: case 603:
        return {"auth", "forbidden"};
    case 404: case 481: case 484: case 485: case 604:
        return {"cancel", "item-not-found"};
    case 405: case 501:
        return {"cancel", "feature-not-implemented"};
    case 406: case 488: case 505: case 606:
        return {"modify", "not-acceptable"};
    case 407:
        return {"auth", "registration-required"};
    case 408: case 504:
        return {"wait", "remote-server-timeout"};
    case 410:
        return {"cancel", "gone"};
    case 413: case 414: case 513:
        return {"modify", "policy-violation"};
    case 480: case 486: case 600:
        return {"wait", "recipient-unavailable"};
    case 491:
        return {"wait", "unexpected-request"};
    case 502:
        return {"cancel", "remote-server-not-found"};
    case 503:
        return {"cancel", "service-unavailable"};
    default:
        break;
    }
    if (status >= 300 && status < 400)
        return {"modify", "redirect"};
    if (status >= 500)
        return {"cancel", "internal-server-error"};
    return {"modify", "bad-request"};
}

}  // namespace sylk::xmpp
