// SylkServer's SIP applications "echo" and "playback", as a role of the shared SIP stack taking
// requests to configured URIs before the conference focus would (which takes every other
// Request-URI as a room):
// - echo (echo_uris, default "echo"): a call is answered and its RTP sent back to it (EchoLeg);
//   its m=message stream (MSRP chat, alone or next to audio) gets a direct session of the msrp
//   plugin, and every text message the caller sends there comes back to it, from the echo URI;
//   a MESSAGE gets a 200, then a MESSAGE back that quotes its text, preceded by a "delivered"
//   IMDN (RFC 5438) when the message (CPIM) asked for one;
// - playback (playback_uris, "user=file"): a call is answered, the file is played to it in the
//   negotiated codec (PlaybackLeg) and the call ends with our BYE at the file's end.
// A URI entry is "user" (any host) or "user@host". Media runs on a thread of its own, so a
// busy SIP thread never delays the packets.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sip_role.hpp"
#include "sip_sdp.hpp"
#include "sylkcore/hub/events.hpp"
#include "sylkcore/json.hpp"
#include "sylkcore/net/stack_thread.hpp"

namespace sylk::sip {

class AudioClip;
class EchoLeg;
class GatewayChatLink;
class PlaybackLeg;
class SipStack;

struct SipApplicationSettings {
    std::vector<std::string> echoUris = {"echo"};
    std::vector<std::pair<std::string, std::string>> playbackUris;  // URI entry, file path
};

class SipApplications : public SipRole {
public:
    // Loads the playback files (throws std::runtime_error naming one that cannot be read).
    SipApplications(SipStack& stack, const SipApplicationSettings& settings);
    ~SipApplications() override;

    bool claims(int event, nua_handle_s* handle, const sip_s* sip) override;
    void onEvent(int event, int status, const char* phrase, nua_handle_s* handle, const sip_s* sip,
                 const void* tags) override;
    Json status() const;

private:
    struct Call {
        std::string application;  // "echo" or "playback"
        std::string answer;       // our SDP, repeated for re-INVITEs
        std::unique_ptr<EchoLeg> echo;
        std::unique_ptr<PlaybackLeg> playback;
        std::shared_ptr<GatewayChatLink> chat;  // the echo's MSRP chat: its hub room
        std::string chatSession;                // the msrp plugin's session id, "" when none
        std::string uri;                        // the Request-URI called (the echo's CPIM From)
        std::string peerUri;                    // the caller's From URI
        uint64_t serial = 0;      // tells this call from a later one that got the same handle
        bool playing = false;
        bool hangingUp = false;
    };

    // "echo", the playback clip's index as "playback:<n>", or "" for a Request-URI no
    // application takes.
    std::string applicationFor(const sip_s* sip) const;
    void onInvite(nua_handle_s* handle, const sip_s* sip);
    void onMessage(nua_handle_s* handle, const sip_s* sip);
    void onCallState(nua_handle_s* handle, int state);
    void endCall(nua_handle_s* handle);
    // The echo's chat: an msrp direct session for offer; false (logged) when the msrp plugin
    // cannot open one, and the stream is answered with port 0.
    bool openChat(nua_handle_s* handle, Call& call, const MsrpOffer& offer, const std::string& callId,
                  MsrpAnswer* answer);
    void onChatMessage(nua_handle_s* handle, uint64_t serial, const hub::DirectMessage& message);
    void closeChat(Call& call);
    // A MESSAGE of ours to the sender of sip (in the dialog of handle when it is a call's).
    void sendMessage(nua_handle_s* dialog, const sip_s* sip, const std::string& contentType, const std::string& body);

    SipStack& stack_;
    std::vector<std::string> echoUris_;
    std::vector<std::pair<std::string, std::shared_ptr<AudioClip>>> playbacks_;
    std::unique_ptr<net::StackThread> media_;  // before calls_: outlives the legs on it
    std::map<nua_handle_s*, Call> calls_;      // SIP thread
    std::set<nua_handle_s*> sent_;             // our MESSAGEs awaiting their answer
    std::set<nua_handle_s*> ended_;            // calls gone, their handles' last events still to come
    uint64_t sessionIds_ = 1;
    uint64_t serials_ = 0;
    std::atomic<uint64_t> echoCalls_{0}, playbackCalls_{0}, messagesAnswered_{0};
};

}  // namespace sylk::sip
