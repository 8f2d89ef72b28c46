// A web user's handle on the SIP plugin: one SIP account and at most one call at a time, as in
// Janus's stock SIP plugin (more accounts or parallel calls: more handles). The account and
// call state belong to the SIP thread; only the media bridge is shared with Janus's media
// thread, through an atomic pointer.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <vector>
#include <string>

#include <map>

#include "media_bridge.hpp"
#include "sylkcore/cpim/cpim.hpp"
#include "sip_sdp.hpp"
#include "sylkcore/janus/plugin_session.hpp"

struct nua_handle_s;
struct msg_s;

namespace sylk::sip {
class GatewayChatLink;
}

namespace sylk::sip {

struct SipAccount {
    bool active = false;        // register request taken (guest or REGISTER sent)
    bool sendRegister = true;
    bool registered = false;
    std::string aor;            // sip:alice@example.com
    std::string user;
    std::string authUser;
    std::string secret;
    bool secretIsHa1 = false;
    std::string displayName;
    std::string registrar;      // request URI of REGISTER ("" = the AOR's domain)
    std::string outboundProxy;
    std::string contactUser;    // the user part of our Contact: incoming calls are routed by it
    int ttl = 3600;
    nua_handle_s* registration = nullptr;
    int authAttempts = 0;
    int listener = 0;           // the SIP stack's listener (address family) it registers through
    bool familyRetried = false; // registered again from the other listener after a DNS failure (dual stack)
    bool xmppSessions = false;  // the xmpp plugin's: it says when the XMPP user's device rings (ringing)
    bool keep = false;          // keep_registered: the gateway keeps it when the handle goes
};

enum class CallState { Idle, Calling, Ringing, Established };

struct SipCall {
    CallState state = CallState::Idle;
    bool incoming = false;
    bool ringSent = false;  // 180 sent for the xmpp plugin's incoming call (ringing)
    bool pushCancelled = false;  // the account's phones were told the call is over
    nua_handle_s* handle = nullptr;
    std::string callId;
    std::string peerUri;
    AudioOffer peer;            // the peer's chosen audio, from its offer or answer
    Json browserAnswer;         // outgoing: our answer to the browser's offer, sent on 183/200
    bool answerSent = false;
    int webrtcOpusPt = 111;
    int webrtcDtmfPt = -1;
    int mindex = 0;
    uint64_t sdpVersion = 1;
    std::string srtpMode;       // our offer: "", "optional" (best effort) or "mandatory"
    std::string localKey;       // our SDES-SRTP key, once offered or needed
    bool localHold = false;
    bool remoteHold = false;
    bool hangupReported = false;
    bool timedOut = false;
    int64_t mediaSinceUs = 0;   // when the media last started or resumed: the RTP timeout's origin
    int authAttempts = 0;
    nua_handle_s* transferor = nullptr;  // the REFER this call carries out, if any
    int listener = 0;           // the listener (address family) of its dialog: our SDP's address
    // The listener whose address carries the media when the peer's SDP is of the other family
    // than its signalling (an incoming IPv4 INVITE offering IPv6 media); -1: listener's.
    int mediaListener = -1;
    bool familyRetried = false;  // placed again on the other listener after a DNS failure (dual stack)
    std::string localTag, remoteTag;  // the dialog's tags (our From's, the peer's To's) once answered
    int mediaListenerOr() const { return mediaListener >= 0 ? mediaListener : listener; }
    // A chat-only call (m=message, RFC 4975): its MSRP session is the msrp plugin's, in direct
    // mode; messages cross the private hub room link->room() (gateway_chat.cpp).
    bool chatOnly = false;
    // An audio call may carry chat too (chatOnly false, chatSession set once accepted).
    std::optional<MsrpOffer> msrpOffer;   // the peer's m=message, until we answer it
    std::vector<SdpMediaLine> offeredLines;
    std::string chatSession;              // the msrp plugin's session id, once answered
    MsrpAnswer chatAnswer;                // our side of the m=message, repeated in re-INVITE answers
    std::vector<std::string> chatPeerPath;  // the peer's a=path: a re-INVITE may not change it
    std::shared_ptr<GatewayChatLink> chatLink;
    // Our last SDP in the dialog (offer or answer): the re-INVITE that tells the peer our chat's
    // new MSRP path (the relay moved it) is this with the a=path replaced.
    std::string localSdp;
    bool repathing = false;     // that re-INVITE awaits its answer (onInviteResponse)
    bool repathRetried = false; // that re-INVITE was answered 491 once and sent again
    // The peer's messages that asked for a display notification, by imdn.Message-ID, until the
    // web user says it displayed them (bounded: the oldest go first).
    std::map<std::string, cpim::CpimMessage> displayAsked;
    // The xmpp plugin's sessions (RFC 7573): the peer's messages that asked for a delivery
    // notification, until the XMPP user's receipt says delivered (bounded as displayAsked).
    std::map<std::string, cpim::CpimMessage> deliveryAsked;
    // The call history (gateway_call_history.cpp). Every call starts from a fresh SipCall, so
    // its creation is the call's start.
    int64_t startedUs = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    int64_t answeredUs = 0;        // when it was answered (0: never)
    bool declined = false;         // the web user declined it
    bool answeredElsewhere = false;  // a forked leg the proxy cancelled: another device took it
    bool pageGone = false;         // ended because the handle went: no event to it
};

// A file a SIP client offers the web user (RFC 5547: an INVITE whose m=message has a
// file-selector and a=sendonly). It is a dialog of its own, next to the handle's call if any
// (gateway_files.cpp); the page accepts or declines it by its call id ("transfer").
struct FileCall {
    nua_handle_s* handle = nullptr;
    std::string callId;
    std::string peerUri;
    int listener = 0;
    MsrpOffer offer;
    std::vector<SdpMediaLine> offeredLines;
    bool answered = false;      // 200 or a refusal sent (ours), or the peer's 2xx (outgoing)
    bool outgoing = false;      // the web user's file to the peer (gateway_files_out.cpp)
    bool request = false;       // the peer pulls a file from the web user (a=recvonly; gateway_files_pull.cpp)
    int authAttempts = 0;
    std::string msrpSession;    // the msrp plugin's session, once accepted
    // Our SDP in the dialog (offer or answer) and its o= version: the re-INVITE that tells the
    // peer the transfer's new MSRP path (the relay moved it) is this with the a=path replaced.
    std::string localSdp;
    uint64_t sdpVersion = 1;
    bool repathing = false;     // that re-INVITE awaits its answer
};

// Where the files a web user receives are stored: the private file room of its page session
// (direct/<contact user>/files), opened by one download token granted to that session only;
// the files and the token go when the handle goes.
struct WebUserFiles {
    std::string room;
    std::string token;
    std::shared_ptr<GatewayChatLink> link;  // the room's progress and `file` events
    // What the web user sent with "sendfile": the peer's address (user@host) and the file's id,
    // so that the peer pulling it again by its hash is served without asking (gateway_files_pull.cpp).
    std::vector<std::pair<std::string, std::string>> shared;
};

class GatewaySession : public janus::PluginSession, public std::enable_shared_from_this<GatewaySession> {
public:
    using Hook = std::function<void(GatewaySession&)>;

    GatewaySession(janus::Handle* handle, Hook onHangup, Hook onDestroyed)
        : PluginSession(handle), onHangup_(std::move(onHangup)), onDestroyed_(std::move(onDestroyed)) {}

    SipAccount account;  // SIP thread only
    SipCall call;        // SIP thread only
    std::map<std::string, FileCall> files;  // offered files by call id; SIP thread only
    WebUserFiles fileRoom;                  // SIP thread only

    void setBridge(std::shared_ptr<MediaBridge> bridge) { bridge_.store(std::move(bridge)); }
    std::shared_ptr<MediaBridge> bridge() const { return bridge_.load(); }

    void onIncomingRtp(janus::RtpPacket* packet) override {
        if (packet->video)
            return;
        if (auto current = bridge_.load())
            current->fromWebRtc(reinterpret_cast<const uint8_t*>(packet->buffer), packet->length);
    }
    void onHangupMedia() override { onHangup_(*this); }
    void onDestroy() override { onDestroyed_(*this); }
    Json describe() const override;  // on the SIP thread (SipPlugin::postToStateThread)

private:
    Hook onHangup_;
    Hook onDestroyed_;
    std::atomic<std::shared_ptr<MediaBridge>> bridge_;
};

}  // namespace sylk::sip
