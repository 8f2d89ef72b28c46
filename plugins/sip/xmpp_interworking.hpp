// The SIP side of 1:1 chat with XMPP users (RFC 7572), a role of the SIP stack: a MESSAGE whose
// request URI's host is one of the configured XMPP domains (xmpp_domains) is an XMPP user's
// address, handed to the xmpp plugin through the hub service "xmpp.stox.message"; its
// transaction is held until "sip.stox.answer" gives the outcome (200, or the status an XMPP
// error maps to, RFC 7247 §8). The other way, "sip.stox.message" sends an XMPP user's message
// as a MESSAGE (through xmpp_outbound_proxy, else RFC 3263 on the request URI) and answers the
// xmpp plugin with its final status ("xmpp.stox.answer").
// Text (text/plain, or message/cpim around text) travels as chat; is-composing (RFC 3994) as
// chat states; IMDN (RFC 5438) as receipts and displayed markers. Addresses stay SIP URIs
// here: the xmpp plugin maps them (plugins/xmpp/stox_address.hpp).
// Every method runs on the SIP thread (the services' handlers post there).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sip_role.hpp"
#include "sylkcore/json.hpp"

struct nua_saved_event;

namespace sylk::sip {

class SipStack;

struct XmppInterworkingSettings {
    std::vector<std::string> domains;  // lower case; empty: the role claims nothing
    std::string outboundProxy;         // "sip:host:port"; empty: RFC 3263 on the request URI
    size_t maxBodyBytes = 64 * 1024;
};

class XmppInterworking : public SipRole {
public:
    XmppInterworking(SipStack& stack, XmppInterworkingSettings settings);
    ~XmppInterworking() override;
    XmppInterworking(const XmppInterworking&) = delete;
    XmppInterworking& operator=(const XmppInterworking&) = delete;

    bool claims(int event, nua_handle_s* handle, const sip_s* sip) override;
    void onEvent(int event, int status, const char* phrase, nua_handle_s* handle, const sip_s* sip,
                 const void* tags) override;
    void onTick() override;

    // The hub services' work, on the SIP thread.
    void sendToSip(const Json& request);     // "sip.stox.message"
    void xmppAnswered(const Json& answer);   // "sip.stox.answer"
    // "sip.stox.presence": {token, open, note, end} for a presence subscription (RFC 7248).
    void presenceFromXmpp(const Json& presence);
    // "sip.stox.subscribe": {token, from, to, subscribe}: an XMPP user's presence subscription
    // to a SIP user becomes (or ends) a SUBSCRIBE (Event: presence) to that user; its NOTIFYs go
    // back through "xmpp.stox.presence".
    void subscribeToSip(const Json& request);
    // Answers the held transactions (503); the stack is stopping.
    void close();
    Json status() const;

private:
    void onIncomingMessage(nua_handle_s* handle, const sip_s* sip);
    void onMessageResponse(nua_handle_s* handle, int status, const char* phrase);
    // SUBSCRIBE (Event: presence) to an XMPP user: 202 and NOTIFYs with PIDF (RFC 3856/3863)
    // that follow the XMPP user's presence, which the xmpp plugin subscribes to for us.
    void onSubscribe(nua_handle_s* handle, const sip_s* sip);
    void dropWatch(nua_handle_s* handle, bool tellXmpp);
    void tellXmppSubscription(int64_t token, const std::string& from, const std::string& to, bool subscribe);
    // Answers a held MESSAGE and forgets it.
    void respond(int64_t token, int status, const std::string& reason);
    void answerXmpp(int64_t token, int status, const std::string& reason);

    SipStack& stack_;
    const XmppInterworkingSettings settings_;
    struct Held {  // a MESSAGE waiting for the xmpp plugin's outcome
        nua_handle_s* handle = nullptr;
        nua_saved_event* saved[1] = {nullptr};
        int64_t deadline = 0;  // monotonic microseconds
    };
    std::map<int64_t, Held> held_;
    std::map<nua_handle_s*, int64_t> sent_;  // our MESSAGEs to SIP users -> the xmpp plugin's token
    struct Watch {  // a SIP user's presence subscription to an XMPP user
        std::string entity;  // the XMPP user's SIP URI (the request URI)
        int64_t token = 0;
        bool open = false;
        std::string note;
        bool dirty = true;    // a NOTIFY is due (sent on the next tick, after the 202)
        bool ending = false;  // the next NOTIFY terminates it
    };
    std::map<nua_handle_s*, Watch> watches_;
    // Our SUBSCRIBEs to SIP users for XMPP watchers: handle <-> the xmpp plugin's token.
    std::map<nua_handle_s*, int64_t> outSubscriptions_;
    std::map<int64_t, nua_handle_s*> outTokens_;
    void tellXmppPresence(int64_t token, bool open, const std::string& note, bool end);
    void endOutSubscription(nua_handle_s* handle);
    std::map<int64_t, nua_handle_s*> watchTokens_;
    int64_t nextToken_ = 1;
    // Read by status() on Janus's request thread.
    std::atomic<uint64_t> toXmpp_{0};
    std::atomic<uint64_t> fromXmpp_{0};
    std::atomic<uint64_t> refused_{0};
    std::atomic<size_t> heldCount_{0};
    std::atomic<size_t> watchCount_{0};
};

}  // namespace sylk::sip
