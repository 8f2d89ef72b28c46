// janus.plugin.sylk.echo: SylkServer's echo application on the Sylk platform. A peer's audio,
// video and data-channel messages come back to it; it proves the whole media path.
#pragma once

#include "echo_counters.hpp"
#include "sylkcore/janus/plugin.hpp"

namespace sylk::echo {

class EchoSession;

class EchoPlugin : public janus::Plugin {
public:
    EchoPlugin();

protected:
    void configure(const janus::PluginConfig& config) override;
    std::shared_ptr<janus::PluginSession> newSession(janus::Handle* handle) override;

private:
    Reply configureSession(EchoSession& session, RequestReader& reader, const Request& request);
    Reply ping(EchoSession& session, RequestReader& reader, const Request& request);
    Reply sessionStatus(EchoSession& session, RequestReader& reader, const Request& request);
    Reply adminStatus(RequestReader& reader, const Request& request);
    Json pluginStatus() const;

    EchoCounters totals_;
    uint32_t defaultBitrateCap_ = 0;
};

}  // namespace sylk::echo
