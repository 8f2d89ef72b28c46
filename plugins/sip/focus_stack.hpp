// The SIP side of conference rooms: one Sofia-SIP stack and event loop (its own thread) that
// answers INVITEs to room URIs as the room's focus. A call's audio becomes a plain RTP leg of
// the audio mixer's room of the same name (through the hub service "audiomixer.attach_rtp"),
// so phones and browsers hear each other; in-dialog MESSAGEs become room chat.
#pragma once

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "sylkcore/json.hpp"

struct nua_s;
struct nua_handle_s;
struct su_root_s;
struct su_timer_s;

namespace sylk::sip {

struct FocusSettings {
    std::string ip = "127.0.0.1";
    uint16_t port = 5060;
    std::string userAgent = "Sylk for Janus";
};

class FocusStack {
public:
    explicit FocusStack(FocusSettings settings);
    ~FocusStack();  // stops the stack
    FocusStack(const FocusStack&) = delete;
    FocusStack& operator=(const FocusStack&) = delete;

    // Starts the SIP thread; throws std::runtime_error if the stack cannot bind.
    void start();
    void stop();
    Json status() const;

    // Sofia's callback, on the SIP thread.
    // tags: Sofia's tagi_t list, for the call state of nua_i_state.
    void onEvent(int event, int status, const char* phrase, nua_handle_s* handle, const void* sip, const void* tags);

private:
    struct Call {
        std::string room;
        std::string display;
        uint64_t legId = 0;
        std::string answer;  // our SDP, repeated for re-INVITEs
        std::string memberId;
    };

    void run();
    void onInvite(nua_handle_s* handle, const void* sip);
    void onMessage(nua_handle_s* handle, const void* sip);
    void endCall(nua_handle_s* handle);
    // Refuses an incoming request with a static phrase (Sofia keeps the pointer for
    // retransmissions) and the reason in a Warning header; the handle goes a little later.
    void refuse(nua_handle_s* handle, int status, const char* phrase, const std::string& reason = "");
    // Handles are destroyed from a timer, never in the same callback as their response: the
    // response is only queued, and destroying the handle first makes Sofia answer 500.
    void retire(nua_handle_s* handle);
    void destroyRetired();
    friend void retireTimer(void*, su_timer_s*, void*);

    FocusSettings settings_;
    std::thread thread_;
    su_root_s* root_ = nullptr;
    nua_s* nua_ = nullptr;
    std::atomic<bool> ready_{false};
    std::atomic<bool> failed_{false};
    std::map<nua_handle_s*, Call> calls_;  // SIP thread only
    std::vector<std::pair<nua_handle_s*, int64_t>> retired_;  // SIP thread only
    su_timer_s* timer_ = nullptr;
    std::atomic<uint64_t> callsAnswered_{0};
    std::atomic<uint64_t> callsRefused_{0};
    std::atomic<int> activeCalls_{0};
    uint64_t sessionIds_ = 1;
};

}  // namespace sylk::sip
