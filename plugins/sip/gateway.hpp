// The gateway role: web users' SIP accounts and calls. REGISTER with digest authentication
// (password or HA1) and refreshes, incoming calls routed by our Contact's user part, calls both
// ways with the browser's WebRTC audio bridged to the peer's plain RTP (transcoded when the
// peer has no Opus), hold, DTMF (SIP INFO and RFC 4733) and SIP MESSAGE. Every method runs on
// the SIP thread: Sofia's events directly, Janus requests through SipStack::post.
#pragma once

#include <atomic>
#include <functional>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway_session.hpp"
#include "sip_role.hpp"
#include "sylkcore/net/zrtp_cache.hpp"
#include "sylkcore/janus/gateway.hpp"
#include "sylkcore/error_code.hpp"
#include "sylkcore/hub/events.hpp"
#include "sylkcore/json.hpp"
#include "sylkcore/msrp/file_selector.hpp"
#include "sylkcore/store/journal_writer.hpp"
#include "sylkcore/push/push_service.hpp"
#include "sylkcore/store/credential_vault.hpp"

namespace sylk::sip {

using net::ZrtpCache;

class GatewayChatLink;
class RtpReceiver;
class SipStack;

struct RegisterRequest {
    std::string username;       // the SIP URI to register
    std::optional<std::string> secret;
    std::optional<std::string> ha1Secret;
    std::optional<std::string> authUser;
    std::optional<std::string> displayName;
    std::optional<std::string> proxy;
    std::optional<std::string> outboundProxy;
    int ttl = 3600;
    bool guest = false;         // type "guest" or send_register false: no REGISTER
    // keep_registered: true = the gateway keeps the registration while no browser is connected
    // (gateway_keep.cpp); false = stop keeping it; unset = as it was (a kept account stays kept).
    std::optional<bool> keep;
    bool xmppSessions = false;  // the xmpp plugin's handle for a SIP session to an XMPP user
};

struct MessageRequest {
    std::optional<std::string> uri;  // outside a call
    std::string content;
    std::string contentType = "text/plain";
    bool imdn = false;               // wrap in CPIM asking for delivery and display notifications
};

// The answer to a request that waits for the message journal (gateway_journal.cpp): one of
// the two is called once, on the SIP thread.
struct DeferredAnswer {
    std::function<void(const Json& result)> done;
    std::function<void(ErrorCode code, const std::string& error)> failed;
};

// sync_conversations (SylkServer's name): the account's journal after a point.
struct SyncRequest {
    std::optional<std::string> sinceId;   // after this message
    int64_t sinceSeq = 0;                 // after this sequence number (the last sync's last_seq)
    int64_t sinceTime = 0;                // at or after this time (seconds since 1970)
    std::string conversation;             // "" = every conversation
    int limit = 1000;
};

class Gateway : public SipRole {
public:
    // Pushes {"sip": "event", "call_id"?: ..., "result": result} (and jsep) to the session.
    using EventSink = std::function<void(GatewaySession& session, const std::string& callId, const Json& result,
                                         const Json& jsep)>;

    Gateway(SipStack& stack, RtpReceiver& receiver, janus::Gateway janusGateway, EventSink events);
    ~Gateway() override;  // takes the journal back from store::HistoryAccess

    bool claims(int event, nua_handle_s* handle, const sip_s* sip) override;
    void onEvent(int event, int status, const char* phrase, nua_handle_s* handle, const sip_s* sip,
                 const void* tags) override;

    // Requests; each returns the "result" of the immediate event and throws RequestError.
    Json registerAccount(const std::shared_ptr<GatewaySession>& session, const RegisterRequest& request);
    Json unregister(GatewaySession& session);
    // srtp: "", "optional" or "mandatory" (stock: sdes_optional, sdes_mandatory).
    // referId: the transfer this call carries out (from a "transfer" event); its progress goes
    // back to the transferor as sipfrag NOTIFYs.
    Json call(const std::shared_ptr<GatewaySession>& session, const std::string& uri, const Json& offer,
              const std::string& srtp = "", uint64_t referId = 0);
    // Blind transfer (RFC 3515): REFER the peer of the established call to uri.
    // Attended with replaces: the Call-ID of another established call of the same account (the consulted one), whose peer the REFER's Refer-To names with an RFC 3891
    // Replaces for that dialog (uri, if given, instead of its peer's URI).
    Json transfer(GatewaySession& session, const std::string& uri, const std::string& replaces = "");
    Json accept(GatewaySession& session, const Json& answer);
    Json decline(GatewaySession& session, int code);
    // The xmpp plugin's handle: the XMPP user's device rings (XEP-0353), 180 to the caller.
    Json ringing(GatewaySession& session);
    Json hangup(GatewaySession& session);
    Json hold(GatewaySession& session, bool hold, const std::string& direction);
    Json dtmfInfo(GatewaySession& session, const std::string& digit, int durationMs);
    // Answered through answer once journaled (at once without a journal); the MESSAGE leaves
    // only after the journal has it.
    void message(const std::shared_ptr<GatewaySession>& session, const MessageRequest& request, DeferredAnswer answer);

    // The message journal (gateway_journal.cpp); none: messages are not journaled.
    void setJournal(std::unique_ptr<store::JournalWriter> journal);
    // ZRTP (RFC 6189) for calls whose peer offers or answers a=zrtp-hash; cache: the retained
    // secrets (may be null: every call then starts without them).
    void enableZrtp(std::unique_ptr<ZrtpCache> cache) {
        zrtpCache_ = std::move(cache);
        zrtp_ = true;
    }
    // A token for GET /messages/history/<account> on the web app server (Apikey), stored in
    // the journal (so it outlives a restart) before it is answered.
    void historyToken(GatewaySession& session, DeferredAnswer answer);
    void setOfflineDelivery(bool fromTrustedPeers) { offlineFromTrustedPeers_ = fromTrustedPeers; }
    store::JournalWriter* journal() const { return journal_.get(); }
    // Sync requests: each is journaled and forwarded to the account's other handles.
    void syncConversations(GatewaySession& session, const SyncRequest& request, DeferredAnswer answer);
    void markRead(GatewaySession& session, const std::string& conversation, DeferredAnswer answer);
    void removeMessage(GatewaySession& session, const std::string& messageId, DeferredAnswer answer);
    void removeConversation(GatewaySession& session, const std::string& conversation, DeferredAnswer answer);
    // The stored OpenPGP public key of uri for the session's account (gateway_public_keys.cpp).
    void lookupPublicKey(GatewaySession& session, const std::string& uri, DeferredAnswer answer);
    // RFC 3994 is-composing to the peer (uri, or the call's).
    Json composing(const std::shared_ptr<GatewaySession>& session, bool active, const std::optional<std::string>& uri);
    void onTick() override;
    // Push notifications (gateway_push.cpp); push may be null (not configured).
    void setPush(push::PushService* push) { push_ = push; }
    // The account's push name (user@domain), "" when the session has no account.
    std::string pushAccount(const GatewaySession& session) const;
    // The browser's PeerConnection went away: end the call, keep the account.
    void mediaGone(GatewaySession& session);
    // The handle is gone: end the call and unregister.
    void sessionGone(GatewaySession& session);
    Json status() const;
    // A conference invitation ({"uri", "room", "from", "display"?, "reason"?}) as the event
    // `conference_invitation` to every handle of account uri (gateway_invitation.cpp);
    // answers {"delivered": number of handles}. On the SIP thread.
    Json conferenceInvitation(const Json& request);
    // The XMPP domains (the SIP plugin's xmpp_domains): an INVITE to a user there goes to one
    // of the xmpp plugin's waiting handles (register with xmpp_sessions; gateway_xmpp.cpp).
    void setXmppDomains(std::vector<std::string> domains) { xmppDomains_ = std::move(domains); }

private:
    std::shared_ptr<GatewaySession> sessionOf(nua_handle_s* handle) const;
    void emit(GatewaySession& session, const Json& result, const Json& jsep = Json());
    void onRegisterResponse(GatewaySession& session, int status, const char* phrase, nua_handle_s* handle, const sip_s* sip);
    // The account's REGISTER from a new handle on its listener (account.registration).
    bool sendRegister(GatewaySession& session);
    // Dual stack: the registrar's host name has no address of the listener's family (Sofia's 503
    // "DNS Error"): REGISTER again from the other listener, once (as placeOnOtherFamily for calls).
    bool registerOnOtherFamily(GatewaySession& session, nua_handle_s* failed);
    void onUnregisterResponse(int status, const char* phrase, nua_handle_s* handle, const sip_s* sip);
    void onInviteResponse(GatewaySession& session, int status, const char* phrase, const sip_s* sip);
    void onIncomingInvite(nua_handle_s* handle, const sip_s* sip);
    // The same for an INVITE received earlier (a kept ring handed to the handle that took the
    // account over): on listener; ringingSinceUs: 0 for a new INVITE, else when it began to ring
    // (real time; its 180 and incoming_session push are out, and the call started then).
    void deliverInvite(nua_handle_s* handle, const sip_s* sip, int listener, int64_t ringingSinceUs);
    // An INVITE with Replaces (RFC 3891) naming the web user's established call: the new dialog
    // takes the call over (the bridge follows its media, the old dialog gets BYE, the page a
    // "replaced" event); 481 when it names no such dialog.
    void replaceCall(GatewaySession& session, nua_handle_s* handle, const sip_s* sip);
    // Dual stack: a call to a host name failed in our stack before reaching the network (Sofia's
    // 503 "DNS Error": e.g. the name has no address of the listener's family, only AAAA). Places it
    // once more from the other listener, with a media socket and offer of that family; false
    // when that does not apply or cannot be done.
    bool placeOnOtherFamily(GatewaySession& session);
    void onReInvite(GatewaySession& session, const sip_s* sip);
    void onIncomingMessage(nua_handle_s* handle, const sip_s* sip);
    void onInfo(GatewaySession& session, const sip_s* sip);
    void onRefer(GatewaySession& session, nua_handle_s* handle, const sip_s* sip);
    void onReferNotify(GatewaySession& session, const sip_s* sip, const void* tags);
    // Tells the transferor how the call we placed for it went (a final sipfrag ends it).
    void notifyTransferor(SipCall& call, int status, const char* phrase);
    // Authenticates handle against the challenge in sip with the account's credentials; false
    // when there are none or they were already refused.
    bool authenticate(const SipAccount& account, nua_handle_s* handle, const sip_s* sip, int& attempts);
    // The call's RTP socket, on the address of its SIP listener.
    std::shared_ptr<MediaBridge> makeBridge(const std::shared_ptr<GatewaySession>& session, int listener,
                                            const std::string& peerUri);
    void startMedia(GatewaySession& session, const AudioOffer& peer);
    void endCall(GatewaySession& session, int code, const std::string& reason);
    std::string ourSdp(GatewaySession& session, bool offer, const std::string& direction);
    std::string fromHeader(const GatewaySession& session) const;
    // Sends a MESSAGE in the call (inCall) or to uri from the session's account.
    void sendMessage(const std::shared_ptr<GatewaySession>& session, const std::string& uri, bool inCall,
                     const std::string& contentType, const std::string& body);

    struct PendingMessage {  // IMDNs sent on the next tick, after the 200 of what they answer
        std::weak_ptr<GatewaySession> session;
        std::string uri;
        bool inCall = false;
        std::string body;    // message/cpim
    };
    std::vector<PendingMessage> pending_;  // SIP thread only
    // Pager-mode MESSAGEs to an account that asked for a display notification: the "displayed"
    // IMDN to send its sender when a tab of the account shows it, by "<aor> <imdn.Message-ID>"
    // (bounded; SIP thread only).
    std::map<std::string, PendingMessage> pagerDisplayAsked_;
    std::vector<std::pair<nua_handle_s*, int64_t>> repathRetries_;  // (call, when to re-INVITE again), SIP thread only

    // The journal (gateway_journal.cpp). Appends entries, then on the SIP thread answers the
    // request Sofia is handling now (its message kept meanwhile) with 200, or 500 when the
    // journal failed, and calls stored(duplicate) after a 200.
    void answerOnceJournaled(nua_handle_s* handle, bool inCall, std::vector<store::JournalEntry> entries,
                             std::function<void(bool duplicate)> stored);
    // Appends entries; then (SIP thread) answer.done(result with "seq") and the same result to
    // every other handle of the account, or answer.failed.
    void journalAndForward(GatewaySession& session, std::vector<store::JournalEntry> entries, Json result,
                           DeferredAnswer answer);
    // Every handle whose account is aor, but except.
    std::vector<std::shared_ptr<GatewaySession>> handlesOf(const std::string& aor, const GatewaySession* except) const;

public:
    // The account's handles on the other nodes of a cluster (gateway_cluster.cpp): an event given
    // to the account's handles here goes to the cluster plugin (hub service cluster.account_event),
    // which sends it on the bus if it is one that travels; nothing without a cluster.
    void shareWithOtherNodes(const std::string& aor, const Json& event);
    // Another node's event for an account ({"account", "event"}, hub service sip.account_event):
    // to every handle of that account here. SIP thread.
    void fromOtherNode(const Json& request);

private:
    // Runs check on the journal thread; when it throws JournalError the request fails with it.
    void journalChangeIfKnown(GatewaySession& session, std::function<void(store::MessageJournal&)> check,
                              store::JournalEntry entry, Json result, DeferredAnswer answer);
    std::unique_ptr<store::JournalWriter> journal_;
    // The call history (gateway_call_history.cpp): a call of the session's account that ends
    // now (its own, or one refused busy), as a "call" entry of the account's journal, and the
    // event `call` to every handle of the account.
    void recordCall(GatewaySession& session, const SipCall& call, int code, const std::string& reason);
    // Appends a call entry, then sends its `call` event to the account's handles (but except,
    // when there is no journal: a handle that is going away).
    void journalCall(const store::JournalEntry& entry, const GatewaySession* except);
    // MSRP chat (chat calls): the msrp plugin holds the SEND's 200 (hold_answer) until we post
    // its direct-ack, which the continuation does once the entry is stored. kind:
    // store::kind::kMessage or kState. then (SIP thread, may be empty) learns whether it was
    // stored and whether it was there already; with no journal (or no account) it runs at once.
    using ChatStored = std::function<void(bool stored, bool duplicate, int64_t seq)>;
    void journalChat(GatewaySession& session, const char* kind, const std::string& messageId,
                     const std::string& direction, const std::string& contentType, const std::string& content,
                     const std::string& state, ChatStored then = nullptr);
    // Offline delivery, SylkServer's way: the proxy forks MESSAGEs for an account's address to
    // us too (from trusted_peers); one for an account the journal knows is stored while no
    // handle is connected, and synced when one connects.
    bool offlineFromTrustedPeers_ = false;
    // An out-of-dialog MESSAGE from a trusted peer to an address none of our contacts is.
    bool offlineCandidate(const sip_s* sip) const;
    // aor: the kept account the MESSAGE is for (gateway_keep.cpp); "" = the request URI's.
    void onOfflineMessage(nua_handle_s* handle, const sip_s* sip, std::string aor = "");
    // OpenPGP public keys (gateway_public_keys.cpp). checkPublicKey: a text/pgp-public-key body
    // is checked; returns why it was refused, or "" (key is set when the body is a valid key).
    // keepPublicKey queues a checked key for the journal's public_keys under (account, sender):
    // called once the message that carried it is stored, so a refused or unstored message
    // leaves no key behind.
    static bool isPublicKeyType(const std::string& contentType);
    static std::string checkPublicKey(const std::string& contentType, const std::string& body,
                                      std::optional<store::StoredPublicKey>* key);
    void keepPublicKey(const std::string& account, const std::string& sender, std::optional<store::StoredPublicKey> key);

    // Chat-only calls (gateway_chat.cpp): the MSRP session opened in the msrp plugin's direct
    // mode when the web user accepts, our m=message answered; closed with the call.
    void offerChat(const std::shared_ptr<GatewaySession>& session, nua_handle_s* handle, const sip_s* sip,
                   const MsrpOffer& offer, const std::string& sdp);
    Json acceptChat(GatewaySession& session);
    // Opens the direct msrp session for call.msrpOffer (chat-only or next to audio) and fills
    // our side of it; false and a reason when the msrp plugin refused.
    bool openOfferedChat(GatewaySession& session, MsrpAnswer* answer, std::string* reason);
    // A re-INVITE of a call with chat (gateway_chat_reinvite.cpp): answered (200 or 488) and
    // true, or false for a plain audio call (onReInvite answers it).
    bool onChatReInvite(GatewaySession& session, const std::string& offer);
    std::shared_ptr<GatewayChatLink> makeChatLink(GatewaySession& session);
    // The msrp plugin moved the call's chat to a new local path (relay refresh): a re-INVITE
    // tells the peer (gateway_chat_reinvite.cpp); its failure is logged, the call goes on.
    void onChatPathMoved(GatewaySession& session, const hub::MsrpPathChange& change);
    // The peer refused that re-INVITE: a 491 is retried once after RFC 3261 §14.1's wait
    // (retryRepaths, on the tick); any other refusal of an audio call's new path ends its chat
    // at once ("chatclosed" with the code), the audio goes on. True if handled (a chat-only
    // call is left to onInviteResponse, which ends it).
    bool onRepathRefused(GatewaySession& session, int status, const char* phrase);
    void sendRepath(SipCall& call);
    void retryRepaths();
    // The 2xx to our chat-only INVITE: the answer's path to the msrp plugin; true if handled.
    bool onChatInviteResponse(GatewaySession& session, int status, const sip_s* sip);
    void closeChat(GatewaySession& session);
    // A message the peer sent (on the SIP thread): message, composing or imdn events.
    void onChatMessage(GatewaySession& session, const hub::DirectMessage& message);
    Json chatMessage(GatewaySession& session, const MessageRequest& request);
    // displayed() for a pager-mode MESSAGE (no chat call): its IMDN as a MESSAGE to the sender.
    Json pagerDisplayed(GatewaySession& session, const std::string& messageId);
    Json chatComposing(GatewaySession& session, bool active);

    // Files offered to the web user (gateway_files.cpp): each its own dialog.
    // The checks every incoming file dialog passes (a free slot, a valid file-selector, a Call-ID
    // of its own): the new FileCall, or nothing once the INVITE has been refused.
    std::optional<FileCall> admitFileCall(GatewaySession& session, nua_handle_s* handle, const sip_s* sip,
                                          const MsrpOffer& offer, const std::string& sdp,
                                          msrp::FileSelector& selector);
    void offerFile(const std::shared_ptr<GatewaySession>& session, nua_handle_s* handle, const sip_s* sip,
                   const MsrpOffer& offer, const std::string& sdp);
    FileCall* fileOf(GatewaySession& session, nua_handle_s* handle);
    // A peer pulling a file from the web user (RFC 5547 a=recvonly; gateway_files_pull.cpp):
    // served at once when it names by hash a file the web user sent that peer, otherwise rung
    // as "filerequest" for the page to answer with a file (acceptfile with "id") or decline.
    void requestFile(const std::shared_ptr<GatewaySession>& session, nua_handle_s* handle, const sip_s* sip,
                     const MsrpOffer& offer, const std::string& sdp);
    // Answers a file request with the stored file id of the web user's file room (200, the
    // msrp plugin sends it); throws RequestError when the file does not fit the request.
    Json serveFile(GatewaySession& session, FileCall& file, const std::string& id);
    void onFileCallEvent(GatewaySession& session, FileCall& file, int event, int status, const char* phrase,
                         const sip_s* sip, const void* tags);
    // The answer to our file offer (gateway_files_out.cpp): its path to the msrp plugin.
    void onFileInviteResponse(GatewaySession& session, FileCall& file, int status, const sip_s* sip);
    void openFileRoom(GatewaySession& session);
    void onFileProgress(GatewaySession& session, const std::string& body);
    // The relay moved a file transfer's MSRP session (hub event msrp-path in the file room): its
    // dialog is re-INVITEd with the new a=path, as chats are; a refusal ends the transfer.
    void onFilePathMoved(GatewaySession& session, const hub::MsrpPathChange& change);
    void onFileStored(GatewaySession& session, const hub::FileNotice& file);
    // Ends every file dialog of the session, deletes its files and revokes its token.
    void endFiles(GatewaySession& session);

public:
    // The page accepts or declines an offered file (its "transfer" id, the offer's call id).
    Json acceptFile(GatewaySession& session, const std::string& transfer, const std::string& id = "");
    Json declineFile(GatewaySession& session, const std::string& transfer, int code);
    // The token of the web user's file room, for uploads (POST /files/<token>?name=...).
    Json fileToken(GatewaySession& session);
    // Offers the uploaded file id to uri (RFC 5547, a=sendonly) and sends it once accepted.
    Json sendFile(const std::shared_ptr<GatewaySession>& session, const std::string& uri, const std::string& id);

    // The web user saw message_id (a message of the chat call, or a pager-mode MESSAGE to the
    // account, that asked for display notifications): a "displayed" IMDN (RFC 5438) to its sender.
    Json displayed(GatewaySession& session, const std::string& messageId);
    // The xmpp plugin's session: the XMPP user's client has message_id (a XEP-0184 receipt or a
    // XEP-0333 received marker): the "delivered" IMDN to its sender, who asked for one.
    Json delivered(GatewaySession& session, const std::string& messageId);
    // A chat-only call (m=message, we listen) from the web user to uri; no JSEP.
    Json callChat(const std::shared_ptr<GatewaySession>& session, const std::string& uri);

private:
    // Push triggers (gateway_push.cpp): each only queues to the push service's threads.
    void pushCall(GatewaySession& session, push::PushEvent::Kind kind, const std::string& reason);
    void pushMessage(GatewaySession& session, const std::string& sender, const std::string& display);
    // The same for an account with no session (stored offline, kept registrations).
    void pushMessageTo(const std::string& account, const std::string& sender, const std::string& display);
    // user@domain of a SIP URI: the push registry's account name.
    static std::string pushAccountOf(std::string aor);
    // The account's badge count starts again (read on a device: displayed, mark_read); kept in
    // the journal with the count pushMessage raises.
    void clearUnread(GatewaySession& session);
    // RFC 8599 bindings listed in a 2xx to our REGISTER: the account's other devices' tokens.
    void learnPushBindings(GatewaySession& session, const sip_s* sip);
    push::PushService* push_ = nullptr;

    std::map<uint64_t, nua_handle_s*> refers_;  // transfers asked of our users, by refer_id
    std::map<nua_handle_s*, SipAccount> unregistering_;  // credentials until the registrar answers
    // Dual stack: MESSAGEs out of a call to a host name, kept until their final response so
    // that one whose name has no address of the listener's family can go again from the other.
    struct OutgoingMessage {
        std::string uri, contentType, body;
        int listener = 0;
        bool retried = false;
    };
    std::map<nua_handle_s*, OutgoingMessage> outgoingMessages_;  // SIP thread only
    bool resendOnOtherFamily(GatewaySession& session, nua_handle_s* failed);
    int ticks_ = 0;
    void checkRtpTimeouts();

    SipStack& stack_;
    RtpReceiver& receiver_;
    bool zrtp_ = false;
    std::unique_ptr<ZrtpCache> zrtpCache_;
    janus::Gateway janusGateway_;
    EventSink events_;
    // SIP thread only.
    std::map<nua_handle_s*, std::weak_ptr<GatewaySession>> handles_;    // registrations, calls, messages
    std::map<std::string, std::weak_ptr<GatewaySession>> contacts_;    // contact user -> account
    std::vector<std::string> xmppDomains_;
    std::deque<std::weak_ptr<GatewaySession>> xmppSessions_;  // the xmpp plugin's waiting handles
    // INVITEs to XMPP users that found no waiting handle (several within the milliseconds the
    // xmpp plugin takes to register its next one): held, oldest first, until a handle registers
    // (gateway_xmpp.cpp), 480 after kHeldXmppInviteSeconds. SIP thread only.
    struct HeldXmppInvite {
        nua_handle_s* handle = nullptr;
        int listener = 0;
        std::shared_ptr<msg_s> request;  // the INVITE, delivered later as incomingcall
        int64_t deadlineUs = 0;
    };
    std::deque<HeldXmppInvite> heldXmppInvites_;
    // heldXmppInvites_'s size and the INVITEs it answered 480, for status() (another thread).
    std::atomic<int> heldXmppCount_{0};
    std::atomic<uint64_t> heldXmppExpired_{0};
    bool holdXmppInvite(nua_handle_s* handle, int listener);
    bool isHeldXmppInvite(nua_handle_s* handle) const;
    // A CANCEL or the end of a held INVITE: dropped; true when handle was one.
    bool onHeldXmppEvent(int event, nua_handle_s* handle, const void* tags);
    // A handle registered with xmpp_sessions: it (and any other waiting) takes the held INVITEs.
    void deliverHeldXmppInvites();
    bool xmppSessionWaiting();  // a usable handle is at xmppSessions_'s front
    void expireHeldXmppInvites();
    bool forXmppUser(const sip_s* sip) const;
    // A waiting xmpp plugin handle for an INVITE to an XMPP user, which becomes that user's
    // account (its aor the request URI); nullptr when none waits.
    std::shared_ptr<GatewaySession> takeXmppSession(const sip_s* sip);
    uint64_t sessionIds_ = 1;
    std::atomic<int> accounts_{0};
    std::atomic<int> calls_{0};
    std::atomic<uint64_t> callsPlaced_{0};
    std::atomic<uint64_t> callsReceived_{0};
    std::atomic<uint64_t> callsTranscoded_{0};

public:
    // Kept registrations (gateway_keep.cpp; issue 13 offline delivery without proxy help). Without
    // a vault, keep_registered is refused.
    void setCredentialVault(std::unique_ptr<store::CredentialVault> vault) { vault_ = std::move(vault); }
    // Before the stack starts: reads every stored account, whose Contact the gateway owns from
    // then on (a request to it is never another role's, even while its REGISTER is in flight).
    void loadKeptAccounts();
    // On the SIP thread once the stack runs: registers every loaded account again.
    void restoreKeptAccounts();
    // How long an INVITE to a kept account rings (180) before 480 (kept_ring_seconds).
    void setKeptRingSeconds(int seconds) { keptRingSeconds_ = seconds; }

private:
    struct KeptRing {  // an INVITE to a kept account: 180 while its phones are woken, then 480
        nua_handle_s* handle = nullptr;
        std::string account;   // push account (user@domain)
        std::string callId;
        std::string caller;
        std::string aor;       // the kept account (SIP AoR)
        int listener = 0;      // the stack it came in on
        std::shared_ptr<msg_s> request;  // the INVITE, kept for a handle that takes the account over
        int64_t deadlineUs = 0;
        int64_t startedUs = 0;  // when it came (real time): the call's start in the call history
    };
    // A ring that ends unanswered (no handle took it): a missed call in the account's call
    // history (gateway_call_history.cpp).
    void recordKeptRing(const KeptRing& ring, int code, const std::string& reason);
    std::unique_ptr<store::CredentialVault> vault_;
    std::map<nua_handle_s*, SipAccount> kept_;            // by registration handle; SIP thread only
    // contact user -> account (AoR) of every kept account, registered or not: loaded from the
    // vault before the stack starts, dropped only when the account is unregistered or taken over.
    std::map<std::string, std::string> keptContacts_;
    std::vector<SipAccount> loadedKept_;                  // loadKeptAccounts -> restoreKeptAccounts
    // For status() on other threads: kept registrations, and those the registrar has taken (2xx).
    std::atomic<int> keptCount_{0};
    std::atomic<int> keptRegistered_{0};
    void countKept();
    std::vector<KeptRing> keptRings_;
    int keptRingSeconds_ = 30;
    // sessionGone: true when the account's registration went to kept_ (nothing left to undo).
    bool keepOnLeave(GatewaySession& session);
    // registerAccount: the "registered" result when session took over a kept registration of
    // the same account (same credentials), nothing when there is none.
    std::optional<Json> takeOverKept(const std::shared_ptr<GatewaySession>& session, const RegisterRequest& request);
    void storeKept(const SipAccount& account);
    void forgetKept(const std::string& aor);
    // The kept account (AoR) an out-of-dialog request is for, or "".
    std::string keptAccountFor(const sip_s* sip) const;
    bool isKeptRing(nua_handle_s* handle) const;
    // After a takeover: the ringing INVITEs of aor go to the account's handle as incomingcall.
    void handKeptRingsTo(const std::string& aor);
    // Events of kept registrations and their ringing INVITEs; true when handled.
    bool onKeptEvent(int event, int status, const char* phrase, nua_handle_s* handle, const sip_s* sip,
                     const void* tags);
    void onKeptInvite(const std::string& aor, nua_handle_s* handle, const sip_s* sip);
    // status: our final response (0: the caller ended it, with CANCEL: 487 to its INVITE);
    // answeredElsewhere: the caller's CANCEL said another device answered (RFC 3326 cause 200),
    // so it is neither a missed call nor pushed as one.
    void endKeptRing(size_t index, int status, const char* reason, bool answeredElsewhere = false);
    void checkKeptRings();
    void pushCallTo(const std::string& account, push::PushEvent::Kind kind, const std::string& callId,
                    const std::string& caller, const std::string& reason);
};

}  // namespace sylk::sip
