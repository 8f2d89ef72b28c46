// One XMPP user's Jingle audio call to a room: a participant of the audio mixer whose media
// janus core terminates (ICE, DTLS-SRTP), reached through the in-process Janus API
// (hub::ApiChannel over janus.transport.sylk.loopback). The call creates a Janus session,
// attaches to janus.plugin.sylk.audiomixer and joins the room with the caller's offer (the
// session-initiate turned into SDP); the mixer's answer becomes session-accept. Candidates
// cross as trickle requests one way and transport-info the other; session-terminate, a janus
// hangup or a refused join end it. Closing the channel makes janus destroy the session, so a
// call that ends any way leaves nothing behind in janus or the mixer.
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

struct JingleCallSettings {
    std::string peer;      // the caller's full JID
    std::string roomJid;   // room@conference.<domain>: our side of the session
    std::string room;      // the hub (and mixer) room name
    std::string display;   // the caller's name in the mixer
    std::string sid;
    std::string initiator; // as the session-initiate said (the peer's JID if it did not)
    JingleContent offer;   // the caller's audio content
};

class JingleCall {
public:
    using Send = std::function<bool(TagPtr)>;
    // ended: the call is over (told to the peer where needed); the owner drops it on a later
    // turn of the thread, never from inside the call.
    JingleCall(net::StackThread& thread, JingleCallSettings settings, Send send, std::function<void()> ended);
    ~JingleCall();
    JingleCall(const JingleCall&) = delete;
    JingleCall& operator=(const JingleCall&) = delete;

    // Throws RequestError(NotFound) when the loopback transport is not loaded.
    void start();
    // The peer's transport-info: candidates for janus (queued until the handle exists).
    void remoteCandidates(const JingleContent& transport);
    // The peer ended the session (its session-terminate was acknowledged): nothing is sent.
    void terminatedByPeer();
    Json status() const;
    bool accepted() const { return accepted_; }

private:
    // A request on the channel; a channel that can no longer send ends the call.
    void sendApi(Json message, hub::ApiChannel::Handler onReply = nullptr);
    void attach();
    void join();
    void onJoined(const Json& message);
    void onEvent(const Json& message);
    void trickle(const std::string& candidateLine);
    // Ends the call: session-terminate to the peer with reason (unless the peer ended it).
    void end(const std::string& reason, const std::string& text);
    bool sendJingle(const std::string& action, TagPtr content, const std::string& reason = "", const std::string& text = "");

    net::StackThread& thread_;
    const JingleCallSettings settings_;
    Send send_;
    std::function<void()> ended_;
    std::unique_ptr<hub::ApiChannel> channel_;
    net::SourceHandle keepalive_;
    int64_t sessionId_ = 0;
    int64_t handleId_ = 0;
    int64_t participantId_ = 0;
    bool joinSent_ = false;
    bool accepted_ = false;
    bool over_ = false;
    bool mediaUp_ = false;
    std::vector<std::string> pendingCandidates_;
    uint64_t candidatesIn_ = 0;
    uint64_t candidatesOut_ = 0;
    uint64_t nextStanza_ = 1;
};

}  // namespace sylk::xmpp
