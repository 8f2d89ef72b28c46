// A part of the SIP plugin that takes events from the shared Sofia-SIP stack: the gateway
// (web users' accounts and calls) or the conference focus (phones calling rooms). The stack
// offers each event to its roles in order; the first that claims it handles it.
#pragma once

struct nua_handle_s;
struct sip_s;

namespace sylk::sip {

class SipRole {
public:
    virtual ~SipRole() = default;
    // On the SIP thread. handle is the event's; sip the message, or nullptr.
    virtual bool claims(int event, nua_handle_s* handle, const sip_s* sip) = 0;
    virtual void onEvent(int event, int status, const char* phrase, nua_handle_s* handle, const sip_s* sip,
                         const void* tags) = 0;
    // Every 100 ms on the SIP thread: work that other threads queued (e.g. roster changes).
    virtual void onTick() {}
};

}  // namespace sylk::sip
