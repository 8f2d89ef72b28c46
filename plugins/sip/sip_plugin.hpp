// janus.plugin.sylk.sip: SylkServer's SIP side. This first part is the conference focus:
// SIP phones call room URIs and join the room's audio (the audio mixer) and chat. The gateway
// role (web users with SIP accounts and calls) comes next.
#pragma once

#include <memory>

#include "focus_stack.hpp"
#include "sylkcore/janus/plugin.hpp"

namespace sylk::sip {

class SipPlugin : public janus::Plugin {
public:
    SipPlugin();

protected:
    void configure(const janus::PluginConfig& config) override;
    std::shared_ptr<janus::PluginSession> newSession(janus_plugin_session* handle) override;
    void onShutdown() override;

private:
    Reply status(janus::PluginSession&, RequestReader&, const Request&);
    Reply adminStatus(RequestReader&, const Request&);

    std::unique_ptr<FocusStack> focus_;
};

}  // namespace sylk::sip
