// Reads janus.plugin.sylk.irc.jcfg: the shared options of `general` and one `bridge-<name>`
// category per bridged room (conf/janus.plugin.sylk.irc.jcfg.sample). A value that does not
// parse throws std::invalid_argument naming it, which stops the plugin at start.
#pragma once

#include "bridge_settings.hpp"

namespace sylk::janus {
class PluginConfig;
}

namespace sylk::irc {

IrcSettings readSettings(const janus::PluginConfig& config);

}  // namespace sylk::irc
