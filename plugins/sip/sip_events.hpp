// What the SIP plugin reports to Janus's event handlers (docs/events.md). The gateway's events
// take the shapes of the stock janus.plugin.sip's notify_event calls ("call-id", "code",
// "reason"); the focus has no stock counterpart and reports phones joining and leaving rooms.
// Builders only, run on the SIP thread (they read SIP-thread state).
#pragma once

#include <string>

#include "gateway_session.hpp"

namespace sylk::sip {

class SipEvents {
public:
    // The event-handler form of a result the gateway pushes to a web user (or answers a request
    // with); a null Json for results the stock plugin does not report (messages, DTMF, ...).
    static Json fromGatewayResult(const GatewaySession& session, const std::string& callId, const Json& result);
    // A phone in a room through the focus: {"event": "joined"|"left", "room", "id", "display",
    // "uri", "call-id", "codec", "srtp", "direction": "incoming"|"dialout"}.
    struct Phone {
        std::string room;
        uint64_t legId = 0;
        std::string display;
        std::string uri;
        std::string callId;
        std::string codec;
        bool srtp = false;
        bool dialOut = false;
        bool chat = false;  // with an MSRP chat stream (issue 11); codec empty: chat only
    };
    static Json phone(const char* event, const Phone& phone);
};

}  // namespace sylk::sip
