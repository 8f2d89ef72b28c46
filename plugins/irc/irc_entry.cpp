// The plugin table Janus loads (create()) of janus.plugin.sylk.irc.
#include "irc_plugin.hpp"
#include "sylkcore/janus/plugin_binding.hpp"

SYLK_JANUS_PLUGIN(sylk::irc::IrcPlugin)
