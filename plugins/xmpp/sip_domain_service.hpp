// The SIP users' component domain (sip.<domain>): SIP users as XMPP sees them. This session
// only links it and answers for the domain (disco#info: a SIP gateway; ping); messages and
// presence to SIP users (RFC 7247/7248/7572 interworking) come later and get
// service-unavailable until then, so XMPP clients learn at once that nothing was delivered.
// Stack thread only.
#pragma once

#include <memory>

#include "component_link.hpp"
#include "xmpp_settings.hpp"

namespace sylk::xmpp {

class SipDomainService : public LinkListener {
public:
    SipDomainService(net::StackThread& thread, const XmppSettings& settings);
    ~SipDomainService() override;

    void start();
    Json status() const;

    void onLinkUp() override {}
    void onLinkDown() override {}
    void onStanza(const gloox::Tag& stanza) override;

private:
    std::shared_ptr<ComponentLink> link_;
};

}  // namespace sylk::xmpp
