// What every Jingle audio call of the XMPP plugin shares, whatever janus plugin answers it: the
// caller's media are terminated by janus core (ICE, DTLS-SRTP), reached through the in-process
// Janus API (hub::ApiChannel over janus.transport.sylk.loopback). A session creates a Janus
// session, attaches to its plugin (the subclass names it) and hands the caller's offer (the
// session-initiate turned into SDP) to the subclass's request; the subclass turns the plugin's
// answer into session-accept (accept()). Candidates cross as trickle requests one way and
// transport-info the other; session-terminate, a janus hangup or the subclass's end() finish
// it. Closing the channel makes janus destroy the session, so a call that ends any way leaves
// nothing behind in janus or its plugin. Subclasses: JingleCall (a room's audio mix) and
// JingleSipCall (a SIP call through the SIP gateway).
// Made, used and destroyed on the XMPP stack thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "jingle_content.hpp"
#include "muc_stanzas.hpp"
#include "sylkcore/hub/api_channel.hpp"
#include "sylkcore/json.hpp"
#include "sylkcore/net/stack_thread.hpp"

namespace sylk::xmpp {

struct JingleSessionSettings {
    std::string peer;      // the caller's full JID
    std::string ourJid;    // the JID called: our side of the session
    std::string sid;
    std::string initiator; // as the session-initiate said (the peer's JID if it did not)
    JingleContent offer;   // the caller's audio content
};

class JingleSession {
public:
    using Send = std::function<bool(TagPtr)>;
    // ended: the call is over (told to the peer where needed); the owner drops it on a later
    // turn of the thread, never from inside the call.
    JingleSession(net::StackThread& thread, JingleSessionSettings settings, Send send, std::function<void()> ended);
    virtual ~JingleSession();
    JingleSession(const JingleSession&) = delete;
    JingleSession& operator=(const JingleSession&) = delete;

    // Throws RequestError(NotFound) when the loopback transport is not loaded.
    void start();
    // The peer's transport-info: candidates for janus (queued until the offer went out).
    void remoteCandidates(const JingleContent& transport);
    // The peer ended the session (its session-terminate was acknowledged): nothing is sent to it.
    void terminatedByPeer();
    virtual Json status() const;
    bool accepted() const { return accepted_; }

protected:
    // The janus plugin the session attaches to.
    virtual const char* plugin() const = 0;
    // The handle is attached: send the offer (sendOffer) when the plugin is ready for it.
    virtual void attached() = 0;
    // A plugin event that answers no request of ours (hangup and the like).
    virtual void pluginEvent(json_t* data, json_t* jsep) = 0;
    // The peer hung up: tell the plugin where closing the session is not enough.
    virtual void peerHungUp() {}
    // What the log calls the other end ("room x", "sip:bob@example.org").
    virtual std::string target() const = 0;

    // A "message" request to the handle; reply gets its answer (the plugin's event).
    void sendMessage(Json body, hub::ApiChannel::Handler reply = nullptr);
    // The message that carries the caller's offer (trickle candidates follow it).
    void sendOffer(Json body, hub::ApiChannel::Handler reply);
    // The plugin's answer SDP: session-accept to the peer (false: the call ended).
    bool accept(const std::string& sdp);
    // Ends the call: session-terminate to the peer with a Jingle reason (unless the peer ended it).
    void end(const std::string& reason, const std::string& why);
    bool sendJingle(const std::string& action, TagPtr content, const std::string& reason = "", const std::string& text = "");
    bool over() const { return over_; }

    net::StackThread& thread_;
    const JingleSessionSettings session_;

private:
    // A request on the channel; a channel that can no longer send ends the call.
    void sendApi(Json message, hub::ApiChannel::Handler onReply = nullptr);
    void attach();
    void onEvent(const Json& message);
    void trickle(const std::string& candidateLine);

    Send send_;
    std::function<void()> ended_;
    std::unique_ptr<hub::ApiChannel> channel_;
    net::SourceHandle keepalive_;
    int64_t sessionId_ = 0;
    int64_t handleId_ = 0;
    bool offerSent_ = false;
    bool accepted_ = false;
    bool over_ = false;
    bool mediaUp_ = false;
    std::vector<std::string> pendingCandidates_;
    uint64_t candidatesIn_ = 0;
    uint64_t candidatesOut_ = 0;
    uint64_t nextStanza_ = 1;
};

// janus's own error, or the plugin's: the text of whichever the message carries.
std::string jingleApiError(const Json& message);

}  // namespace sylk::xmpp
