// A Janus handle attached to the irc plugin: IRC users come through the bots' connections, not
// through handles, so a handle only asks for the bridges' status.
#pragma once

#include "sylkcore/janus/plugin_session.hpp"

namespace sylk::irc {

class IrcHandle : public janus::PluginSession {
public:
    explicit IrcHandle(janus::Handle* handle) : PluginSession(handle) {}
    Json describe() const override { return Json::object().set("kind", "status client"); }
};

}  // namespace sylk::irc
