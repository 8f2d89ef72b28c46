// The SIP side of conference rooms: answers INVITEs to room URIs as the room's focus. A call's
// audio becomes a plain RTP leg of the audio mixer's room of the same name (through the hub
// service "audiomixer.attach_rtp"), so phones and browsers hear each other; in-dialog MESSAGEs
// become room chat. SUBSCRIBE with Event: conference gets RFC 4575 NOTIFYs of the room's
// roster (every plugin's participants, from the hub), again on every join, leave or change.
// It claims every event the gateway does not.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "owner_lookup.hpp"
#include "sip_role.hpp"
#include "sip_sdp.hpp"
#include "sylkcore/hub/events.hpp"
#include "sylkcore/hub/room.hpp"
#include "sylkcore/janus/event_notifier.hpp"
#include "sylkcore/json.hpp"
#include "sylkcore/push/push_service.hpp"

namespace sylk::sip {

class SipStack;

class ConferenceFocus : public SipRole {
public:
    explicit ConferenceFocus(SipStack& stack);

    bool claims(int, nua_handle_s*, const sip_s*) override { return true; }
    void onEvent(int event, int status, const char* phrase, nua_handle_s* handle, const sip_s* sip,
                 const void* tags) override;
    void onTick() override;
    Json status() const;
    // Phones joining and leaving rooms go to Janus's event handlers through events.
    void reportTo(const janus::EventNotifier& events) { events_ = &events; }

    // Hub service sip.focus.invite {"room", "uri", "display"?, "token"?, "progress"?}: the room
    // calls that SIP user in (as a REFER method=INVITE does, without a referrer to tell), on the
    // next tick; with "progress" (a hub service name) and "token", each step of the call is
    // reported there as {"token", "state", "status", "reason"?}. Any thread:
    // it only checks and queues. The caller (the xmpp plugin, for a moderator's XEP-0045
    // invitation) authorized it.
    Json queueInvite(const Json& request);
    // Push notifications (issue 13): each invitation into a room is also pushed to the invitee's
    // phone apps (incoming_conference_request), so an account with only a mobile token can join.
    void setPush(push::PushService* push) { push_ = push; }

private:
    struct Call {
        std::string room;
        std::string display;
        uint64_t legId = 0;
        std::string answer;  // our SDP, repeated for re-INVITEs
        std::string memberId;
        std::string uri;     // the caller's From URI: its entity in conference-info
        std::string callBack;  // where the phone can be called again: its Contact, or the dialled URI (cluster call-back)
        AudioOffer media;    // the phone's side, as last offered
        std::string answerIp;       // the mixer's RTP address for the leg
        uint16_t answerPort = 0;
        uint64_t sessionId = 0;     // of our SDP (o= line) and its version
        uint64_t version = 1;
        std::string localKey;       // our SDES-SRTP key, when the phone offered SRTP
        std::string zrtpHash;       // our a=zrtp-hash (the mixer's leg runs ZRTP), when the phone offered ZRTP
        bool held = false;   // the phone put the call on hold: out of the mix
        bool timedOut = false;
        int64_t packetsIn = -1;     // the mixer's count for the leg at the last check
        int64_t lastPacketUs = 0;   // when that count last grew (or the call began)
        std::string callId;         // for the event handlers
        bool dialOut = false;       // the room called the phone (REFER)
        bool audio = false;         // the call has audio: a leg (legId) in the mixer's room
        // Its chat: an MSRP stream (m=message) the msrp plugin carries (msrp.open_session);
        // chatSession is that session's id, empty when the call has none.
        std::string chatSession;
        MsrpAnswer chat;            // our side of the m=message, repeated for re-INVITEs
        int chatIndex = -1;         // the m=message's place in the last offer
        bool repathing = false;     // our re-INVITE with a new MSRP path awaits its answer
        bool repathRetried = false;  // that re-INVITE was answered 491 once and sent again
        std::vector<SdpMediaLine> lines;  // the last offer's m= lines (empty: we made the offer)
        // Muted by a moderator, as the room's roster said at the last change: the phone is told
        // when that changes (tellModeratorMutes).
        bool mutedByModerator = false;
    };
    struct Watcher;  // a hub listener that marks its room's roster changed
    struct Watch {
        std::shared_ptr<hub::Room> room;
        std::shared_ptr<Watcher> listener;
        hub::Subscription subscription;
    };
    struct ConferenceSubscription {
        std::string room;
        uint64_t version = 0;
        bool ending = false;  // unsubscribed: one last NOTIFY, then gone
    };

    // Whether a call, subscription, dial-out or REFER of ours still uses handle.
    bool holds(nua_handle_s* handle) const;
    void onInvite(nua_handle_s* handle, const sip_s* sip);
    // room_callers and room_secret: false after answering 403 or a 401 digest challenge.
    bool admitCaller(nua_handle_s* handle, const sip_s* sip);
    std::string makeNonce() const;
    // In a cluster, a room another node owns (hub service cluster.owner, joining): answers 302
    // with that node's Contact and returns true. Without the service, or when NATS does not
    // answer, or the room is ours or the owner advertises no sip_uri: false, the call is ours.
    bool redirectToOwner(nua_handle_s* handle, const std::string& room);
    bool nonceFresh(const std::string& nonce) const;
    void onMessage(nua_handle_s* handle, const sip_s* sip);
    void endCall(nua_handle_s* handle);
    // An answered call (from a phone, or dialled out for a REFER) is in its room: the room's
    // chat goes to the phone, the event handlers hear of it, and it is counted.
    void enterRoom(nua_handle_s* handle, Call call);
    // "joined" or "left" to Janus's event handlers, when any listen.
    void reportPhone(const char* event, const Call& call) const;
    void onReInvite(nua_handle_s* handle, Call& call, const sip_s* sip);
    // The call's audio as a plain RTP leg of the mixer's room (audiomixer.attach_rtp); false
    // after refusing the INVITE (the mixer absent 503, the room full 486, else 403).
    bool attachAudio(nua_handle_s* handle, Call& call, const AudioOffer& audio);
    // Hands the offered MSRP stream (chat, or an RFC 5547 file transfer) to the msrp plugin
    // (msrp.open_session): true with call.chatSession and call.chat set; false with the reason
    // (the service is absent or refused) and the SIP status for refusing a call that had only
    // this stream: 404 for a file pull naming a file the room does not have, else 488.
    bool openChat(Call& call, const MsrpOffer& offer, std::string* reason, int* refusal = nullptr);
    // msrp.close_session for the call's chat, if it has one.
    void closeChat(Call& call);
    // Our SDP for the call: its audio and chat in the last offer's m= lines, the rest port 0.
    std::string answerFor(const Call& call, const std::string& audioDirection) const;
    // RFC 4579: REFER to the room with Refer-To <uri;method=INVITE> invites uri into the room,
    // with method=BYE removes that participant.
    void onRefer(nua_handle_s* handle, const sip_s* sip);
    // Who hears how an invitation through the hub goes: the caller's hub service (a video
    // room's videoroom.dial_progress) with its token; empty service: nobody.
    struct DialProgress {
        std::string service;
        json_int_t token = 0;
    };
    // inviter/inviterDisplay: who asked (the REFER's From, or the hub caller's display name).
    // listener: the SIP listener to call from; -1: the target's family (listenerFor). A chosen
    // listener is the retry on the other family, which sends no second push.
    void dialOut(nua_handle_s* refer, const std::string& room, const std::string& target, const std::string& inviter,
                 const std::string& inviterDisplay, const DialProgress& progress, int listener = -1);
    // Reports state (ringing, answered, failed) with the SIP status to progress's service.
    void reportDial(const DialProgress& progress, const char* state, int status, const std::string& reason = "");
    // Dual stack: the target's host name has no address of the listener's family (Sofia's 503
    // "DNS Error"): the dial-out is placed again from the other listener, once, as the gateway's
    // calls are (Gateway::placeOnOtherFamily). False when that does not apply.
    bool dialOutOnOtherFamily(nua_handle_s* handle, int status, const sip_s* sip);
    void pushInvitation(const std::string& room, const std::string& target, const std::string& inviter,
                        const std::string& inviterDisplay, int listener);
    push::PushService* push_ = nullptr;
    void onDialOutResponse(nua_handle_s* handle, int status, const sip_s* sip);
    // Ends calls whose phone has sent no RTP for the configured time (not while on hold).
    void checkRtpTimeouts();
    // The mixer's audiomixer.update_rtp for a call's leg; its reply, or null if it failed.
    Json updateLeg(const Call& call, std::optional<bool> hold);
    void onSubscribe(nua_handle_s* handle, const sip_s* sip);
    // Sends the room's full state to one subscriber, with the next version.
    void notify(nua_handle_s* handle, ConferenceSubscription& subscription, bool terminate = false);
    // Follows the hub room of that name (again if the hub replaced it); false if there is none.
    void watch(const std::string& room);
    // Stops watching a room no call or subscription is about any more, so its hub room can go.
    void unwatchIfUnused(const std::string& room);
    void markChanged(const std::string& room);
    // A member's nickname in a room (an empty one forgets it); any thread.
    void setNickname(const std::string& room, const std::string& member, const std::string& nickname);
    std::string roomContact(const std::string& room) const;  // <sip:room@focus>
    // The msrp plugin moved a call's chat to a new local path (a relay refresh, hub event
    // msrp-path): a re-INVITE with our SDP, its a=path replaced. Queued by the hub listener.
    void queuePathChange(hub::MsrpPathChange change);
    void repathChat(const hub::MsrpPathChange& change);
    // The answer to our own re-INVITE of a call: a refusal is logged. A new MSRP path answered
    // 491 is offered once more after RFC 3261 §14.1's wait (retryRepaths); refused otherwise,
    // it ends a call without audio (BYE with a Reason), since its peer can no longer reach us,
    // and ends the chat of an audio call (dropChat), whose audio goes on.
    void onRepathAnswer(nua_handle_s* handle, Call& call, int status, const char* phrase);
    void sendRepath(nua_handle_s* handle, Call& call);
    // On the tick: the re-INVITEs answered 491 whose wait is over go again.
    void retryRepaths();
    // The chat of an audio call whose peer refused its new MSRP path: the MSRP session closes
    // now (not when the relay's old grant ends), the room is told in a status notice, and
    // conference-info no longer lists the participant's chat.
    void dropChat(Call& call, int status);
    // A moderator of the room (another plugin's: an XMPP occupant, a web user) kicked one of
    // our calls' members (hub event kick): the call gets a BYE. Queued by the hub listener,
    // which checked the kicker moderates the room.
    void queueKick(const std::string& room, const hub::KickOrder& order);
    void kickCall(const std::string& room, const hub::KickOrder& order);
    // Room chat from another participant, queued by the hub listener for the SIP thread.
    // senderUri: the sender's own address (its hub member's uri, e.g. an IRC user's
    // sip:<nick>@<server>); empty: a phone's call URI, else one made from the member id.
    struct QueuedChat {
        std::string room, member, display, text, senderUri;
        std::string to;  // a private message's recipient (a phone's member id); empty: the room
    };
    void queueChat(QueuedChat chat);
    void deliverChat(const QueuedChat& chat);
    // A moderator muted (or unmuted) a phone of the room, through the hub or the audio mixer: the
    // roster changed; each phone of the room whose mute by a moderator changed gets a MESSAGE
    // from the room saying so (it has no other way to learn it). On the SIP thread, per change.
    void tellModeratorMutes(const std::string& room);

    SipStack& stack_;
    std::map<nua_handle_s*, Call> calls_;  // SIP thread only
    std::atomic<uint64_t> callsAnswered_{0};
    std::atomic<uint64_t> callsRefused_{0};
    std::atomic<uint64_t> callsRedirected_{0};
    // The cluster's owner answer, waited for at most 500 ms on the SIP thread (owner_lookup.hpp).
    OwnerLookup ownerLookup_{std::chrono::milliseconds(500)};
    std::atomic<int> activeCalls_{0};
    uint64_t sessionIds_ = 1;
    int ticks_ = 0;
    std::string nonceKey_;  // signs our digest nonces, so that they need no state
    std::map<nua_handle_s*, ConferenceSubscription> subscriptions_;  // SIP thread only
    struct DialOut {
        Call call;                  // becomes a call of the room when answered
        nua_handle_s* refer = nullptr;
        DialProgress progress;
        int listener = 0;
        bool otherFamily = false;   // placed again from the other listener (dialOutOnOtherFamily)
    };
    std::map<nua_handle_s*, DialOut> dialOuts_;                        // SIP thread only
    std::vector<std::pair<nua_handle_s*, std::string>> referResults_;  // final sipfrags for the next tick
    std::map<std::string, Watch> watches_;                            // SIP thread only
    std::mutex changedMutex_;
    std::set<std::string> changed_;  // rooms whose roster changed, from any thread
    std::vector<QueuedChat> chats_;  // under changedMutex_
    std::vector<hub::MsrpPathChange> pathChanges_;  // chat sessions the msrp plugin moved, under changedMutex_
    std::vector<std::pair<nua_handle_s*, int64_t>> repathRetries_;  // (call, when to re-INVITE again), SIP thread only
    std::vector<std::pair<std::string, hub::KickOrder>> kicks_;  // (room, order) for the next tick, under changedMutex_
    struct QueuedInvite {
        std::string room;
        std::string uri;
        std::string display;  // the inviter's
        DialProgress progress;
    };
    std::vector<QueuedInvite> invites_;   // to dial out, under changedMutex_
    std::map<std::string, std::map<std::string, std::string>> nicknames_;  // room -> member -> nickname, under changedMutex_
    const janus::EventNotifier* events_ = nullptr;
};

}  // namespace sylk::sip
