// The SIP side of conference rooms: answers INVITEs to room URIs as the room's focus. A call's
// audio becomes a plain RTP leg of the audio mixer's room of the same name (through the hub
// service "audiomixer.attach_rtp"), so phones and browsers hear each other; in-dialog MESSAGEs
// become room chat. It claims every event the gateway does not.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>

#include "sip_role.hpp"
#include "sylkcore/json.hpp"

namespace sylk::sip {

class SipStack;

class ConferenceFocus : public SipRole {
public:
    explicit ConferenceFocus(SipStack& stack) : stack_(stack) {}

    bool claims(int, nua_handle_s*, const sip_s*) override { return true; }
    void onEvent(int event, int status, const char* phrase, nua_handle_s* handle, const sip_s* sip,
                 const void* tags) override;
    Json status() const;

private:
    struct Call {
        std::string room;
        std::string display;
        uint64_t legId = 0;
        std::string answer;  // our SDP, repeated for re-INVITEs
        std::string memberId;
    };

    void onInvite(nua_handle_s* handle, const sip_s* sip);
    void onMessage(nua_handle_s* handle, const sip_s* sip);
    void endCall(nua_handle_s* handle);
    void refuse(nua_handle_s* handle, int status, const char* phrase, const std::string& reason);

    SipStack& stack_;
    std::map<nua_handle_s*, Call> calls_;  // SIP thread only
    std::atomic<uint64_t> callsAnswered_{0};
    std::atomic<uint64_t> callsRefused_{0};
    std::atomic<int> activeCalls_{0};
    uint64_t sessionIds_ = 1;
};

}  // namespace sylk::sip
