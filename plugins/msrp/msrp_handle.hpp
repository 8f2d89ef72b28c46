// A Janus handle attached to the msrp plugin: MSRP sessions come from other plugins through
// hub services, not from handles, so a handle only asks for the plugin's status.
#pragma once

#include "sylkcore/janus/plugin_session.hpp"

namespace sylk::msrp_plugin {

class MsrpHandle : public janus::PluginSession {
public:
    explicit MsrpHandle(janus::Handle* handle) : PluginSession(handle) {}
    Json describe() const override { return Json::object().set("kind", "status client"); }
};

}  // namespace sylk::msrp_plugin
