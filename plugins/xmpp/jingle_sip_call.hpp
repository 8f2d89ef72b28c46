// One XMPP user's Jingle audio call to a SIP user (user\40host@sip.<domain>): a JingleSession
// attached to the SIP gateway (janus.plugin.sylk.sip) as a guest account (no REGISTER) named by
// the caller's SIP address (sip:local@xmpp-domain, RFC 7247), which then sends `call` with the
// caller's offer to the SIP user's URI. The gateway bridges janus core's DTLS-SRTP to the
// callee's RTP (transcoding when it has no Opus). ringing -> session-info <ringing/>; accepted
// (or progress) with the answer -> session-accept; the gateway's hangup -> session-terminate
// with the SIP status mapped to a Jingle reason (jingleReasonOfSip); the peer's
// session-terminate -> `hangup`. Made, used and destroyed on the XMPP stack thread.
#pragma once

#include <string>

#include "jingle_session.hpp"

namespace sylk::xmpp {

struct JingleSipCallSettings : JingleSessionSettings {
    std::string from;     // the caller's SIP URI
    std::string display;  // the caller's display name
    std::string uri;      // the SIP user called
};

// The Jingle reason (XEP-0166 §7.4) for a SIP final status that ended a call (RFC 7247 style).
std::string jingleReasonOfSip(int code);

class JingleSipCall : public JingleSession {
public:
    JingleSipCall(net::StackThread& thread, JingleSipCallSettings settings, Send send, std::function<void()> ended);
    Json status() const override;

protected:
    const char* plugin() const override;
    void attached() override;
    void pluginEvent(json_t* data, json_t* jsep) override;
    void peerHungUp() override;
    std::string target() const override { return uri_; }

private:
    void onRegistered(const Json& reply);
    void onCalling(const Json& reply);
    // The callee's answer SDP (from progress or accepted): session-accept, once.
    void answered(json_t* jsep);

    const std::string from_;
    const std::string display_;
    const std::string uri_;
    std::string callId_;
    bool ringing_ = false;
    bool answered_ = false;
};

}  // namespace sylk::xmpp
