// The SIP users' component domain (sip.<domain>): SIP users as XMPP sees them (RFC 7247), and
// 1:1 chat between them and XMPP users (RFC 7572).
//
// - From SIP: the SIP plugin hands a SIP user's MESSAGE to an XMPP user through the hub service
//   "xmpp.stox.message" (XmppPlugin posts it here); it goes out as a type='chat' message from
//   the SIP user's JID in this domain (stox_address.hpp). The SIP plugin holds the MESSAGE's
//   transaction until "sip.stox.answer" tells it how it went: an error the server bounces
//   within bounceWait is mapped to a SIP status (RFC 7247 §8), otherwise 200.
// - To SIP: a chat message to user\40host@sip.<domain> goes to the SIP plugin through
//   "sip.stox.message"; its final SIP status comes back through "xmpp.stox.answer", and a
//   failure is bounced to the XMPP sender as the mapped stanza error.
// Chat states (XEP-0085) travel as is-composing, XEP-0184 receipts and XEP-0333 displayed
// markers as IMDN.
// Presence (RFC 7248), SIP to XMPP: "xmpp.stox.subscribe" makes the SIP user's JID subscribe
// to (and probe) the XMPP user; the presence that user's server then sends to that JID goes
// to the SIP plugin's subscriptions through "sip.stox.presence" (open/closed and a note).
// XMPP to SIP: a subscription to a SIP user's JID becomes a SIP SUBSCRIBE (Event: presence)
// through "sip.stox.subscribe"; its first NOTIFY approves it ('subscribed') and every NOTIFY's
// PIDF is that JID's presence ("xmpp.stox.presence"); unsubscribe ends the SIP subscription.
// Jingle: a session-initiate to a SIP user's JID is a SIP call to that user through the SIP
// gateway (JingleService with JingleTarget::SipUsers, JingleSipCall).
// Also answers for the domain (disco#info: a SIP gateway; ping). Stack thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <memory>
#include <string>

#include "component_link.hpp"
#include "jingle_service.hpp"
#include "stox_chat_session.hpp"
#include "sylkcore/json.hpp"
#include "xmpp_settings.hpp"

namespace sylk::xmpp {

class SipDomainService : public LinkListener {
public:
    SipDomainService(net::StackThread& thread, const XmppSettings& settings);
    ~SipDomainService() override;

    void start();
    Json status() const;

    // Hub service "xmpp.stox.message": a SIP user's message, composing state or IMDN for an
    // XMPP user (docs/architecture.md lists the fields).
    void fromSip(const Json& request);
    // Hub service "xmpp.stox.answer": the final SIP status of a message we handed to SIP.
    void sipAnswered(const Json& answer);
    // Hub service "xmpp.stox.subscribe": {token, from, to, subscribe} a SIP user's presence
    // subscription to an XMPP user starts (true) or ends (false; from/to may be empty).
    void subscribeFromSip(const Json& request);
    // Hub service "xmpp.stox.presence": {token, open, note, end} from our SUBSCRIBE to a SIP user.
    void presenceFromSip(const Json& presence);

    void onLinkUp() override;
    void onLinkDown() override;
    void onStanza(const gloox::Tag& stanza) override;

private:
    void onChat(const gloox::Tag& stanza, const StanzaHeader& header);
    void onBounce(const gloox::Tag& stanza, const StanzaHeader& header);
    void onPresence(const gloox::Tag& stanza, const StanzaHeader& header);
    using WatchKey = std::pair<std::string, std::string>;  // (XMPP user's bare JID, SIP user's local part)
    // Sends the aggregated presence of key to every SIP subscription on it (end: they end).
    void tellWatchers(const WatchKey& key, bool end);
    void sendPresence(const std::string& type, const WatchKey& key);
    // Tells the SIP plugin the outcome of its request token (no-op for token 0).
    void answerSip(int64_t token, int status, const std::string& reason);
    void refuse(const gloox::Tag& stanza, const std::string& type, const std::string& condition,
                const std::string& text);

    net::StackThread& thread_;
    const XmppSettings& settings_;
    std::shared_ptr<ComponentLink> link_;
    // From SIP: messages sent, by stanza id, waiting out bounceWait for an error.
    struct Waiting {
        int64_t token = 0;
        net::SourceHandle timer;
    };
    std::map<std::string, Waiting> waiting_;
    // To SIP: the XMPP messages whose SIP final status is awaited, by our token.
    std::map<int64_t, std::unique_ptr<gloox::Tag>> toSip_;
    struct Watched {
        std::set<int64_t> tokens;  // the SIP plugin's subscriptions
        std::map<std::string, std::string> resources;  // available resource -> its status text
        bool known = false;  // some presence has arrived
    };
    std::map<WatchKey, Watched> watched_;
    std::map<int64_t, WatchKey> watchKeys_;
    // XMPP users watching SIP users (our SUBSCRIBEs), by (XMPP bare JID, SIP local part).
    struct SipWatch {
        int64_t token = 0;
        bool approved = false;  // 'subscribed' sent (at the first NOTIFY)
        bool known = false;
        bool open = false;
        std::string note;
    };
    std::map<WatchKey, SipWatch> sipWatches_;
    std::map<int64_t, WatchKey> sipWatchKeys_;
    // An XMPP user's subscribe/unsubscribe/probe for a SIP user's JID; true if handled.
    bool onSipUserSubscription(const StanzaHeader& header);
    void sendSipUserPresence(const WatchKey& key, const SipWatch& watch);
    int64_t nextToken_ = 1;
    uint64_t fromSipCount_ = 0;
    uint64_t toSipCount_ = 0;
    uint64_t refused_ = 0;
    // SIP chat sessions with XMPP users (RFC 7573, stox_chat_session.hpp): one waits for the
    // gateway's next INVITE to an XMPP user; the others by id, those chatting also by
    // (XMPP user's bare JID, SIP user's JID local part).
    void makeWaitingChat();
    void chatEnded(uint64_t id);
    std::map<uint64_t, std::unique_ptr<StoxChatSession>> chatSessions_;
    std::map<WatchKey, uint64_t> chatKeys_;
    std::map<std::string, uint64_t> callSids_;  // Jingle calls from SIP users, by sid
    // An XEP-0353 message or a Jingle iq of one of those calls; false if it is none's.
    bool routeCallStanza(const gloox::Tag& stanza, const StanzaHeader& header);
    uint64_t waitingChat_ = 0;
    uint64_t nextChat_ = 1;
    net::SourceHandle chatRetry_;
    // Jingle calls to SIP users; last, so its calls end before the link goes.
    std::unique_ptr<JingleService> jingle_;
};

}  // namespace sylk::xmpp
