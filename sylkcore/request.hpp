// A request as a plugin sees it, and the reply a handler gives back.
#pragma once

#include <string>

#include "json.hpp"

namespace sylk {

struct Request {
    std::string transaction;  // empty for admin and synchronous requests
    Json body;
    Json jsep;  // null unless the client sent an offer or answer
};

struct Reply {
    Json body;
    Json jsep;  // an SDP answer or offer to send with the event, or null
};

}  // namespace sylk
