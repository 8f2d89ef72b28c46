// janus.plugin.sylk.xmpp: an XEP-0114 external component of an XMPP server (Prosody, ejabberd)
// that serves the hub's rooms as XEP-0045 rooms (conference.<domain>) and links the SIP users'
// domain (sip.<domain>). gloox runs on the plugin's own net::StackThread; Janus handles only
// ask for its status. docs/xmpp-api.md.
#pragma once

#include <memory>

#include "muc_service.hpp"
#include "sip_domain_service.hpp"
#include "sylkcore/janus/plugin.hpp"
#include "sylkcore/net/stack_thread.hpp"
#include "xmpp_settings.hpp"

namespace sylk::xmpp {

class XmppHandle;

class XmppPlugin : public janus::Plugin {
public:
    XmppPlugin();

protected:
    void configure(const janus::PluginConfig& config) override;
    std::shared_ptr<janus::PluginSession> newSession(janus::Handle* handle) override;
    void onShutdown() override;
    // The rooms' state lives on the XMPP stack thread.
    bool postToStateThread(std::function<void()> work) override;

private:
    Json stackStatus();
    // Offers the hub services through which the SIP plugin chats with XMPP users.
    void offerStoxServices();
    Reply status(XmppHandle& handle, RequestReader& reader, const Request& request);
    Reply adminStatus(RequestReader& reader, const Request& request);

    XmppSettings settings_;
    std::unique_ptr<net::StackThread> thread_;
    std::unique_ptr<MucService> muc_;        // made, used and destroyed on thread_
    std::unique_ptr<SipDomainService> sip_;  // likewise
};

}  // namespace sylk::xmpp
