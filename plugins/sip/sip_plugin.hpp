// janus.plugin.sylk.sip: SylkServer's SIP side, on one Sofia-SIP stack (SipStack) with two
// roles: the gateway (web users' SIP accounts and calls, with the stock janus.plugin.sip
// request and event shapes) and the conference focus (SIP phones calling room URIs).
#pragma once

#include <memory>

#include "conference_focus.hpp"
#include "gateway.hpp"
#include "sip_applications.hpp"
#include "rtp_receiver.hpp"
#include "sip_stack.hpp"
#include "sylkcore/janus/plugin.hpp"
#include "xmpp_interworking.hpp"
#include "sylkcore/push/push_api.hpp"
#include "sylkcore/push/push_service.hpp"

namespace sylk::sip {

class SipPlugin : public janus::Plugin {
public:
    SipPlugin();

protected:
    void configure(const janus::PluginConfig& config) override;
    std::shared_ptr<janus::PluginSession> newSession(janus::Handle* handle) override;
    void onShutdown() override;
    bool postToStateThread(std::function<void()> work) override;

private:
    // Runs a gateway request on the SIP thread and wraps its result as {"sip": "event", ...}.
    // Queues work to the SIP thread, which pushes its result (or its error) as the request's
    // answer event; the returned Reply is empty, which Janus answers with an ack.
    using SipWork = std::function<Json(GatewaySession&)>;
    Reply onSipThread(GatewaySession& session, const Request& request, SipWork work);
    // The same for a request answered later (after the message journal): work gets the answer
    // to call once; an exception it throws is the answer.
    using DeferredWork = std::function<void(GatewaySession&, DeferredAnswer)>;
    Reply onSipThreadDeferred(GatewaySession& session, const Request& request, DeferredWork work);
    Json event(const std::string& callId, const Json& result) const;

    Reply registerAccount(GatewaySession&, RequestReader&, const Request&);
    Reply unregister(GatewaySession&, RequestReader&, const Request&);
    Reply call(GatewaySession&, RequestReader&, const Request&);
    Reply accept(GatewaySession&, RequestReader&, const Request&);
    Reply decline(GatewaySession&, RequestReader&, const Request&);
    Reply ringing(GatewaySession&, RequestReader&, const Request&);
    Reply hangup(GatewaySession&, RequestReader&, const Request&);
    Reply hold(GatewaySession&, RequestReader&, const Request&);
    Reply unhold(GatewaySession&, RequestReader&, const Request&);
    Reply dtmfInfo(GatewaySession&, RequestReader&, const Request&);
    Reply message(GatewaySession&, RequestReader&, const Request&);
    // The message journal's sync requests (docs/sip-api.md, "Message store").
    Reply syncConversations(GatewaySession&, RequestReader&, const Request&);
    Reply markRead(GatewaySession&, RequestReader&, const Request&);
    Reply removeMessage(GatewaySession&, RequestReader&, const Request&);
    Reply removeConversation(GatewaySession&, RequestReader&, const Request&);
    Reply historyToken(GatewaySession&, RequestReader&, const Request&);
    Reply lookupPublicKey(GatewaySession&, RequestReader&, const Request&);
    Reply composing(GatewaySession&, RequestReader&, const Request&);
    Reply displayed(GatewaySession&, RequestReader&, const Request&);
    Reply delivered(GatewaySession&, RequestReader&, const Request&);
    Reply acceptFile(GatewaySession&, RequestReader&, const Request&);
    Reply declineFile(GatewaySession&, RequestReader&, const Request&);
    Reply fileToken(GatewaySession&, RequestReader&, const Request&);
    Reply sendFile(GatewaySession&, RequestReader&, const Request&);
    Reply transfer(GatewaySession&, RequestReader&, const Request&);
    Reply status(GatewaySession&, RequestReader&, const Request&);
    Reply adminStatus(RequestReader&, const Request&);
    Json statusBody() const;

    // Push notifications (sip_push.cpp): the service and its REST API when push_* is configured,
    // the gateway request that registers a device token, the admin requests that list and
    // remove tokens.
    void configurePush(const janus::PluginConfig& config);
    Reply pushRegister(GatewaySession&, RequestReader&, const Request&);
    Reply adminPushTokens(RequestReader&, const Request&);
    Reply adminPushRemove(RequestReader&, const Request&);
    Reply adminPushStatus(RequestReader&, const Request&);
    // Declared before the stack and the gateway, which use it: destroyed after them.
    std::unique_ptr<push::PushService> push_;
    std::unique_ptr<push::PushApi> pushApi_;

    std::unique_ptr<SipStack> stack_;
    std::unique_ptr<RtpReceiver> receiver_;
    std::unique_ptr<ConferenceFocus> focus_;
    std::unique_ptr<SipApplications> applications_;
    std::unique_ptr<Gateway> gateway_;
    std::unique_ptr<XmppInterworking> xmpp_;  // 1:1 chat with XMPP users (xmpp_domains)
    void offerXmppServices();
};

}  // namespace sylk::sip
