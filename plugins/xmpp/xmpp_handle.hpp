// A Janus handle attached to the xmpp plugin: XMPP users come through the server's component
// link, not through handles, so a handle only asks for the plugin's status.
#pragma once

#include "sylkcore/janus/plugin_session.hpp"

namespace sylk::xmpp {

class XmppHandle : public janus::PluginSession {
public:
    explicit XmppHandle(janus::Handle* handle) : PluginSession(handle) {}
    Json describe() const override { return Json::object().set("kind", "status client"); }
};

}  // namespace sylk::xmpp
