// One SIP chat session with an XMPP user (RFC 7573): a SIP client INVITEs sip:user@xmpp-domain
// with an MSRP m=message stream, and the messages of that session become XMPP chat messages
// between the SIP user's JID in the sip domain and the XMPP user, both ways.
// The SIP side is the SIP gateway's chat-only call (gateway_chat.cpp: it terminates MSRP
// through the msrp plugin), reached over the in-process Janus API (hub::ApiChannel over
// janus.transport.sylk.loopback) as a web user would: the session registers a guest handle with
// `xmpp_sessions`, waits for the gateway to route an INVITE to an XMPP user to it
// (incomingcall), accepts it, and from then on:
// - the gateway's `message` and `composing` events go to the XMPP user as a chat message or a
//   chat state (XEP-0085) from the SIP user's JID;
// - the XMPP user's body, composing/paused and gone to that JID (SipDomainService hands them
//   here) go out as the call's `message` (an MSRP SEND), `composing` (is-composing) and hangup
//   (BYE);
// - the SIP side's BYE (hangup) sends <gone/> to the XMPP user and ends the session;
// - IMDN (the gateway's `imdn` events, `delivered` and `displayed` requests) <-> XEP-0184
//   receipts and XEP-0333 markers, as the page-mode path maps them, with the gateway's message
//   ids translated; the SIP user's delivered IMDN waits for the XMPP user's receipt;
// - a newer session between the same two users replaces this one (replace(): BYE).
// A call with audio is a Jingle call to the XMPP user (stox_chat_session_call.cpp): XEP-0353
// <propose/> to her bare JID, session-initiate (janus's offer) to the resource that answers
// <proceed/>, her session-accept is the gateway's `accept` with the answer SDP; candidates cross
// as transport-info and trickle; session-terminate <-> hangup. Her <ringing/> (or a receipt for
// the propose) is the caller's 180; nobody proceeding within the ring timeout is 480 + <retract/>.
// Made, used and destroyed on the XMPP stack thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "jingle_content.hpp"
#include "jingle_sdp.hpp"
#include "muc_stanzas.hpp"
#include "stanza_reader.hpp"
#include "stox_stanzas.hpp"
#include "sylkcore/hub/api_channel.hpp"
#include "sylkcore/json.hpp"
#include "sylkcore/net/stack_thread.hpp"

namespace sylk::xmpp {

struct StoxChatSessionHooks {
    // The gateway gave this session an INVITE (it no longer waits): make the next waiting one.
    std::function<void()> taken;
    // The session is accepted: file it under (XMPP user's bare JID, SIP user's JID local part).
    std::function<void(const std::string& xmppUser, const std::string& sipLocal)> chatting;
    // A Jingle call: file it under its sid (XEP-0353 messages and Jingle iqs with it come here).
    std::function<void(const std::string& sid)> calling;
    std::function<bool(TagPtr)> send;
    // The session is over; the owner drops it on a later turn of the thread.
    std::function<void()> ended;
};

class StoxChatSession {
public:
    StoxChatSession(net::StackThread& thread, std::string sipDomain, std::chrono::milliseconds ringTimeout,
                    StoxChatSessionHooks hooks);
    ~StoxChatSession();
    StoxChatSession(const StoxChatSession&) = delete;
    StoxChatSession& operator=(const StoxChatSession&) = delete;

    // Throws RequestError(NotFound) when the loopback transport is not loaded.
    void start();
    // The XMPP user wrote to the SIP user's JID in this session; stanzaId: the stanza's id when
    // usable (a receipt or marker for the message names it), else "".
    void fromXmpp(const ChatRead& chat, const std::string& stanzaId);
    // A newer session between the same two users took over (RFC 7573: one per pair): BYE.
    void replace();
    // XEP-0353 <proceed/>, <reject/> or <ringing/> for our sid, or a XEP-0184 receipt for the
    // propose (a message to the SIP user's JID).
    void onJingleMessage(const gloox::Tag& message, const StanzaHeader& header);
    // An iq with <jingle sid=ours>: acknowledged here.
    void onJingleIq(const gloox::Tag& iq, const StanzaHeader& header);
    bool chatting() const { return chatting_; }
    bool taken() const { return taken_; }
    // Registered with the gateway: an INVITE to an XMPP user can come to it.
    bool ready() const { return ready_ && !taken_ && !over_; }
    bool over() const { return over_; }
    Json status() const;

private:
    void sendApi(Json message, hub::ApiChannel::Handler onReply = nullptr);
    void sendMessage(Json body, hub::ApiChannel::Handler onReply = nullptr);
    void onEvent(const Json& message);
    void incomingCall(json_t* result, bool withAudio);
    void toXmpp(const std::string& body, ChatState state);
    void messageToXmpp(json_t* result);
    void imdnToXmpp(json_t* result);
    void receiptToSip(const ChatRead& chat);
    void end(const std::string& why);
    // The Jingle call (stox_chat_session_call.cpp).
    void startCall(json_t* jsep);
    bool sendJingle(const std::string& action, TagPtr content, const std::string& reason = "");
    void trickle(const std::string& line);
    void callEvent(const std::string& event, json_t* result);
    void ringing();
    void retract();
    void ringTimedOut();

    net::StackThread& thread_;
    const std::string sipDomain_;
    const std::chrono::milliseconds ringTimeout_;
    StoxChatSessionHooks hooks_;
    std::unique_ptr<hub::ApiChannel> channel_;
    net::SourceHandle keepalive_;
    int64_t sessionId_ = 0;
    int64_t handleId_ = 0;
    bool ready_ = false;
    bool taken_ = false;
    bool chatting_ = false;
    bool over_ = false;
    std::string xmppUser_;  // bare JID
    std::string sipJid_;    // the SIP user's JID in the sip domain
    std::string sipUri_;
    // the Jingle call
    bool calling_ = false;
    bool initiated_ = false;  // session-initiate sent
    bool callAccepted_ = false;
    bool ringing_ = false;    // a resource rings: the caller has its 180
    bool retracted_ = false;  // <retract/> sent (nobody proceeded in time)
    net::SourceHandle ringTimer_;
    std::string sid_;
    std::string peerFull_;    // the XMPP user's resource that proceeded
    JingleContent offer_;     // janus's offer as Jingle
    std::vector<std::string> pendingTrickles_;  // janus's candidates before session-initiate
    // IMDN (RFC 5438) <-> receipts (XEP-0184) and markers (XEP-0333) in the session: the
    // gateway names what alice sent by its own imdn.Message-ID; her stanza id is what her
    // client waits a receipt for. Bounded (the oldest forgotten: its IMDN then is dropped).
    std::map<std::string, std::string> stanzaIdOfImdn_;
    std::deque<std::string> imdnOrder_;
    uint64_t nextIq_ = 1;
    uint64_t toXmppCount_ = 0;
    uint64_t toSipCount_ = 0;
};

}  // namespace sylk::xmpp
