// One device that can be woken: which service (APNs or FCM), for which app, with which token,
// registered for which account. The unit the token registry stores and pushes go to.
#pragma once

#include "sylkcore/api.hpp"

#include <string>

namespace sylk::push {

struct PushTarget {
    std::string account;   // user@domain
    std::string device;    // the app's device id (Sylk Pushserver's device-id); the token when none
    std::string provider;  // "apns" or "fcm"
    std::string app;       // APNs: the bundle id (the topic, without ".voip"); FCM: the app id
    std::string token;     // the device token (APNs hex) or FCM registration token
    bool voip = false;     // APNs: a PushKit token (pushes of type voip, topic <app>.voip)
    bool silent = false;   // Sylk Pushserver's "silent": data only, no alert shown
};

// What happened that the app should hear about; the payload fields follow Sylk Pushserver's.
struct PushEvent {
    enum class Kind { IncomingCall, Cancel, MissedCall, Message, ConferenceInvite };
    Kind kind = Kind::IncomingCall;
    std::string callId;
    std::string from;         // sip URI of the caller or sender
    std::string fromDisplay;
    std::string to;           // the account
    std::string mediaType = "audio";  // audio, video, sms
    std::string reason;       // Cancel: why (answered elsewhere, hangup)
    int badge = 0;            // Message: unread count
};

// Sylk Pushserver's event names: incoming_session, cancel, missed_call, message,
// incoming_conference_request.
SYLK_API const char* eventName(PushEvent::Kind kind);

}  // namespace sylk::push
