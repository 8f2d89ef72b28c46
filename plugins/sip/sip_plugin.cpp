#include "sip_plugin.hpp"

#include "sylkcore/janus/plugin_binding.hpp"

namespace sylk::sip {
namespace {

const janus::PluginInfo kInfo{
    1,
    "0.1.0",
    "Sylk SIP: SIP phones in conference rooms (focus).",
    "Sylk SIP",
    "Sylk for Janus",
    "janus.plugin.sylk.sip",
    "sip",
};

}  // namespace

SipPlugin::SipPlugin() : Plugin(kInfo) {}

void SipPlugin::configure(const janus::PluginConfig& config) {
    FocusSettings settings;
    settings.ip = config.getString("sip_ip", "127.0.0.1");
    settings.port = static_cast<uint16_t>(config.getInt("sip_port", 5060, 1, 65535));
    settings.userAgent = config.getString("user_agent", "Sylk for Janus");
    focus_ = std::make_unique<FocusStack>(settings);
    focus_->start();
    onRequest<janus::PluginSession>("status", Execution::Inline, &SipPlugin::status);
    onAdminRequest("status", &SipPlugin::adminStatus);
}

std::shared_ptr<janus::PluginSession> SipPlugin::newSession(janus_plugin_session* handle) {
    return std::make_shared<janus::PluginSession>(handle);
}

void SipPlugin::onShutdown() { focus_.reset(); }

Reply SipPlugin::status(janus::PluginSession&, RequestReader& reader, const Request&) {
    reader.rejectUnknownFields();
    Json body = focus_->status();
    body.set("sip", "status");
    return Reply{body, {}};
}

Reply SipPlugin::adminStatus(RequestReader& reader, const Request& request) {
    reader.rejectUnknownFields();
    Json body = focus_->status();
    body.set("sip", "status");
    (void)request;
    return Reply{body, {}};
}

}  // namespace sylk::sip

SYLK_JANUS_PLUGIN(sylk::sip::SipPlugin)
