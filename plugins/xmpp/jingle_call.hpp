// One XMPP user's Jingle audio call to a room: a participant of the audio mixer (a
// JingleSession attached to janus.plugin.sylk.audiomixer that joins the room with the caller's
// offer); the mixer's answer becomes session-accept. A refused join, a kick or the room's end
// finish it. Made, used and destroyed on the XMPP stack thread.
#pragma once

#include <cstdint>
#include <string>

#include "jingle_session.hpp"

namespace sylk::xmpp {

struct JingleCallSettings : JingleSessionSettings {
    std::string room;      // the hub (and mixer) room name
    std::string display;   // the caller's name in the mixer
    std::string pin;       // what the caller joined the MUC room with (its password), as the mixer's join PIN
};

class JingleCall : public JingleSession {
public:
    JingleCall(net::StackThread& thread, JingleCallSettings settings, Send send, std::function<void()> ended);
    Json status() const override;

protected:
    const char* plugin() const override;
    void attached() override;
    void pluginEvent(json_t* data, json_t* jsep) override;
    std::string target() const override { return "room " + room_; }

private:
    void onJoined(const Json& message);

    const std::string room_;
    const std::string display_;
    const std::string pin_;  // never logged
    int64_t participantId_ = 0;
};

}  // namespace sylk::xmpp
