// Reads janus.plugin.sylk.xmpp.jcfg into XmppSettings: a value that does not parse, or a
// domain that is not one, stops the plugin at start with a message naming the option.
#pragma once

#include "xmpp_settings.hpp"

namespace sylk::janus {
class PluginConfig;
}

namespace sylk::xmpp {

XmppSettings readSettings(const janus::PluginConfig& config);

}  // namespace sylk::xmpp
