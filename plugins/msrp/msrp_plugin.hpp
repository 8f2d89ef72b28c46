// janus.plugin.sylk.msrp: the MSRP listeners, connections and sessions (RFC 4975) and the
// conference MSRP switch. Other plugins hand it chat streams through the hub services
// msrp.open_session / msrp.close_session (the SIP focus, for a phone's m=message); the switch
// then carries the session's chat to and from the hub room. docs/msrp-api.md.
#pragma once

#include <memory>

#include "chat_switch.hpp"
#include "msrp_settings.hpp"
#include "sylkcore/janus/plugin.hpp"
#include "sylkcore/net/stack_thread.hpp"

namespace sylk::msrp_plugin {

class MsrpHandle;

class MsrpPlugin : public janus::Plugin {
public:
    MsrpPlugin();

protected:
    void configure(const janus::PluginConfig& config) override;
    std::shared_ptr<janus::PluginSession> newSession(janus::Handle* handle) override;
    void onShutdown() override;
    // The switch's state lives on the MSRP stack thread.
    bool postToStateThread(std::function<void()> work) override;

private:
    static MsrpSettings readSettings(const janus::PluginConfig& config);
    Json openSession(const Json& request);
    Json closeSession(const Json& request);
    Json switchStatus();
    // The switch, on its thread; RequestError(MsrpUnavailable) once it stopped.
    ChatSwitch& running();
    Reply status(MsrpHandle& handle, RequestReader& reader, const Request& request);
    Reply adminStatus(RequestReader& reader, const Request& request);

    MsrpSettings settings_;
    std::unique_ptr<net::StackThread> thread_;
    std::unique_ptr<ChatSwitch> switch_;  // made, used and destroyed on thread_
};

}  // namespace sylk::msrp_plugin
